"""HTTP hygiene: HEAD wherever GET works, Allow on every 405, redirects that never repeat the
client's Host, 413 for an oversized chunked body, and the security headers on early answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import csrf_token, link_token, login
from tests.factories import make_customer, make_order
from ventanilla.core.middleware import relative_location


def secured(response: object) -> bool:
    headers = response.headers  # type: ignore[attr-defined]
    return (
        headers.get("x-content-type-options") == "nosniff"
        and headers.get("referrer-policy") == "no-referrer"
    )


@pytest.fixture
def shopper(client: TestClient, session: Session) -> tuple[TestClient, str, str]:
    customer = make_customer(session, email="ana@example.com")
    order = make_order(session, customer=customer)
    session.commit()
    login(client, customer.id or 0)
    return client, order.number, link_token(order.number, "ana@example.com")


def link_uses(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM link_uses")).scalar_one())


class TestHead:
    def test_head_answers_like_get_without_a_body(
        self, shopper: tuple[TestClient, str, str], engine: Engine
    ) -> None:
        client, number, token = shopper
        for path in ["/find", "/healthz", f"/l/{token}", "/orders", f"/orders/{number}", "/docs"]:
            got, head = client.get(path), client.head(path)
            assert (path, head.status_code) == (path, got.status_code) == (path, 200)
            assert head.content == b"", path
            assert head.headers["content-type"] == got.headers["content-type"], path
            assert secured(head), path
        assert link_uses(engine) == 0, "a HEAD of a link spends nothing"

    def test_head_of_a_missing_page_is_a_bodiless_404(self, client: TestClient) -> None:
        response = client.head("/no-such-page")
        assert (response.status_code, response.content) == (404, b"")


class TestMethodNotAllowed:
    def test_pages_and_json_name_their_methods(self, client: TestClient) -> None:
        token = csrf_token(client)
        cases = [
            (client.get("/l"), "POST"),
            (client.head("/l"), "POST"),
            (client.put("/find", headers={"X-CSRF-Token": token}), "GET, HEAD, POST"),
            (client.delete("/api/v1/orders/ES-1/shipments"), "GET, HEAD, POST"),
            (client.post("/healthz", headers={"X-CSRF-Token": token}), "GET, HEAD"),
        ]
        for response, allow in cases:
            assert response.status_code == 405
            assert response.headers["allow"] == allow
            assert secured(response)


class TestRedirects:
    @pytest.mark.parametrize(
        ("path", "location"), [("/orders/", "/orders"), ("/find/?x=1", "/find?x=1")]
    )
    def test_trailing_slash_redirects_are_relative_whatever_the_host(
        self, client: TestClient, path: str, location: str
    ) -> None:
        for host in ("evil.example", "testserver"):
            response = client.get(path, headers={"Host": host}, follow_redirects=False)
            assert response.status_code in (301, 307, 308), response.status_code
            assert response.headers["location"] == location
            assert "evil" not in response.headers["location"]

    def test_no_answer_ever_names_the_hosts_it_was_sent(self, client: TestClient) -> None:
        for path in ["//evil.example/", "/orders/", "/orders", "/l/x/", "/find/"]:
            response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
            assert "evil.example" not in response.headers.get("location", ""), path

    def test_own_absolute_urls_become_relative_and_others_stay(self) -> None:
        scope = {"headers": [(b"host", b"evil.example")], "server": ("127.0.0.1", 8000)}
        assert relative_location(b"http://evil.example/orders?a=1", scope) == b"/orders?a=1"
        assert relative_location(b"http://127.0.0.1:8000//x", scope) == b"/x"
        assert relative_location(b"https://checkout.stripe.com/p", scope) == (
            b"https://checkout.stripe.com/p"
        )
        assert relative_location(b"/orders", scope) == b"/orders"


def chunks(total: int, size: int = 64_000) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


class TestEarlyAnswers:
    def test_an_oversized_chunked_body_is_413_with_the_headers(self, store: TestClient) -> None:
        response = store.put(
            "/api/v1/products/SKU-1",
            content=chunks(1_100_000),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["code"] == "body_too_large"
        assert secured(response)

    def test_an_oversized_chunked_form_is_413_too(self, client: TestClient) -> None:
        token = csrf_token(client)
        response = client.post(
            "/find",
            content=chunks(1_100_000),
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "X-CSRF-Token": token,
            },
        )
        assert response.status_code == 413 and secured(response)

    def test_every_early_answer_carries_the_security_headers(
        self, client: TestClient, store: TestClient
    ) -> None:
        answers = {
            413: store.put("/api/v1/products/SKU-1", content=b"{" + b" " * 1_100_000 + b"}"),
            405: client.delete("/api/v1/orders/ES-1/shipments"),
            404: client.get("/api/v1/nothing-here"),
            400: client.get("/l/not-a-token"),
            422: store.put("/api/v1/products/SKU-1", json={}),
        }
        for status, response in answers.items():
            assert response.status_code == status
            assert secured(response), status

    def test_refusals_of_cookie_writes_carry_them(
        self, shopper: tuple[TestClient, str, str]
    ) -> None:
        client, _, _ = shopper
        plain = client.post("/api/v1/me/access-codes", content=b"x")
        cross = client.post("/api/v1/me/access-codes", json={}, headers={"Origin": "https://x"})
        assert (plain.status_code, cross.status_code) == (415, 403)
        assert secured(plain) and secured(cross)
