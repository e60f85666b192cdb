"""Security headers on HTML pages: CSP with a nonce, nosniff, no referrer, HSTS in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import link_token
from tests.conftest import make_settings
from tests.factories import make_customer, make_order
from ventanilla.config import Settings, use_settings

PAGES = ["/find", "/find/sent", "/logged-out", "/no-such-page", "/l/not-a-token"]


def csp_directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_html_headers(response, *, hsts: bool) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["content-type"].startswith("text/html")
    csp = csp_directives(headers["content-security-policy"])
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp["script-src"])
    assert nonce is not None
    # Every inline script on the page carries this response's nonce.
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text):
        assert f'nonce="{nonce.group(1)}"' in tag
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert ("strict-transport-security" in headers) is hsts


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", PAGES)
    def test_every_html_page_carries_them(self, client: TestClient, path: str) -> None:
        assert_html_headers(client.get(path), hsts=False)

    def test_the_link_page_and_refusals_carry_them(
        self, client: TestClient, session: Session
    ) -> None:
        customer = make_customer(session, email="ana@example.com")
        order = make_order(session, customer=customer)
        session.commit()
        assert_html_headers(
            client.get(f"/l/{link_token(order.number, 'ana@example.com')}"), hsts=False
        )
        assert_html_headers(client.post("/find", data={}), hsts=False)  # the CSRF 403

    def test_each_response_gets_its_own_nonce(self, client: TestClient) -> None:
        first = client.get("/find").headers["content-security-policy"]
        second = client.get("/find").headers["content-security-policy"]
        assert first != second

    def test_json_gets_nosniff_and_no_referrer_too(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


@pytest.fixture
def production(db_url: str, tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(db_url, tmp_path / "var", env="production", base_url="https://testserver")
    use_settings(s)
    yield s
    use_settings(None)


def test_hsts_outside_demo(production: Settings) -> None:
    from ventanilla.app import create_app

    with TestClient(create_app(production), base_url="https://testserver") as client:
        response = client.get("/find")
        assert_html_headers(response, hsts=True)
        assert "max-age=" in response.headers["strict-transport-security"]


class TestBodyLimitPerRoute:
    def test_a_route_declared_larger_gets_its_own_limit_and_others_keep_the_default(
        self, app, settings  # type: ignore[no-untyped-def]
    ) -> None:
        from ventanilla.app import route_body_limits
        from ventanilla.core.middleware import BodyLimitMiddleware

        limits = BodyLimitMiddleware(app, 100, route_limit=route_body_limits(settings))

        def limit(method: str, path: str) -> int:
            return limits._limit_for({"app": app, "method": method, "path": path})

        pdf = settings.invoice_pdf_max_bytes
        assert limit("PUT", "/api/v1/invoices/F-1/pdf") == pdf
        assert limit("POST", "/api/v1/invoices/F-1/pdf") == 100
        assert limit("PUT", "/api/v1/invoices/F-1") == 100
        assert limit("PUT", "/api/v1/invoices/a/b/pdf") == 100
