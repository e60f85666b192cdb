"""Cookie-authenticated JSON writes are JSON and same-origin (core/csrf.py); API keys are not
affected. Another site can make a browser send the shopper's cookie with a text/plain or form
POST, but neither a JSON content type (that needs a CORS preflight) nor our Origin."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import login
from tests.access.test_access_control import concrete, flat_routes, is_shopper_route
from tests.factories import make_customer, make_order, make_product

CODES = "/api/v1/me/access-codes"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def emails(engine: Engine) -> int:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM outbox_messages WHERE kind = 'email'")
        return int(conn.execute(query).scalar_one())


@pytest.fixture
def shopper(client: TestClient, session: Session) -> tuple[TestClient, str]:
    customer = make_customer(session, email="lucia@example.com")
    order = make_order(session, customer=customer, status="paid")
    session.commit()
    login(client, customer.id or 0)
    return client, order.number


def cookie_writes(app: FastAPI) -> list[tuple[str, str]]:
    """Every JSON route that authenticates by the shopper's cookie and writes."""
    return sorted(
        (method, info.path)
        for info in flat_routes(app.routes)
        if info.path.startswith("/api/") and is_shopper_route(info)
        for method in info.methods & UNSAFE
    )


class TestCookieWrites:
    def test_an_empty_text_plain_post_spends_no_code(
        self, shopper: tuple[TestClient, str], engine: Engine
    ) -> None:
        client, _ = shopper
        response = client.post(CODES, content=b"", headers={"Content-Type": "text/plain"})
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert emails(engine) == 0

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://testserver.evil.example"},
            {"Origin": "https://testserver"},  # another scheme is another origin
            {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
            {"Origin": "http://testserver", "Sec-Fetch-Site": "same-site"},
            {"Origin": ""},
        ],
    )
    def test_cross_site_requests_get_403_and_change_nothing(
        self, shopper: tuple[TestClient, str], engine: Engine, headers: dict[str, str]
    ) -> None:
        client, _ = shopper
        response = client.post(CODES, json={}, headers=headers)
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "cross_origin" and "same-origin" in body["detail"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert emails(engine) == 0

    def test_no_origin_and_no_fetch_metadata_is_refused(
        self, shopper: tuple[TestClient, str], engine: Engine
    ) -> None:
        client, _ = shopper
        del client.headers["origin"]
        assert client.post(CODES, json={}).status_code == 403
        assert emails(engine) == 0

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "http://testserver"},
            {"Origin": "HTTP://TESTSERVER"},
            {"Sec-Fetch-Site": "same-origin"},
            {"Sec-Fetch-Site": "none"},  # typed in the address bar: a user action
        ],
    )
    def test_same_origin_json_passes(
        self, shopper: tuple[TestClient, str], engine: Engine, headers: dict[str, str]
    ) -> None:
        client, _ = shopper
        del client.headers["origin"]
        response = client.post(CODES, json={}, headers=headers)
        assert response.status_code == 201, response.text
        assert emails(engine) == 1

    def test_every_cookie_write_route_is_covered(
        self, app: FastAPI, shopper: tuple[TestClient, str], engine: Engine
    ) -> None:
        client, number = shopper
        routes = cookie_writes(app)
        assert ("POST", CODES) in routes
        assert ("PUT", "/api/v1/me/orders/{number}/address") in routes
        assert len(routes) >= 7
        for method, path in routes:
            url = concrete(path, number)
            cross = client.request(method, url, json={}, headers={"Origin": "https://evil.example"})
            assert (cross.status_code, cross.json()["code"]) == (403, "cross_origin"), path
            form = client.request(method, url, data={"version": "1"})
            assert form.status_code == 415, path
        assert emails(engine) == 0

    def test_without_a_session_it_is_still_401(self, client: TestClient) -> None:
        response = client.post(CODES, content=b"", headers={"Origin": "https://evil.example"})
        assert response.status_code == 401


class TestApiKeysAreNotAffected:
    def test_store_writes_from_anywhere_with_a_key(
        self, store: TestClient, session: Session, shopper: tuple[TestClient, str]
    ) -> None:
        make_product(session, sku="TREN-01")
        session.commit()
        # Even with a shopper's cookie in the same jar: the key authenticates, not the cookie.
        response = store.post(
            "/api/v1/stock",
            json={"items": [{"sku": "TREN-01", "stock_on_hand": 3}]},
            headers={"Origin": "https://erp.tienda.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert response.status_code == 200, response.text

    def test_the_stripe_webhook_needs_no_origin(self, client: TestClient) -> None:
        response: Any = client.post(
            "/api/v1/stripe/webhook", content=b"{}", headers={"Origin": "https://stripe.com"}
        )
        assert response.status_code not in (403, 415)
