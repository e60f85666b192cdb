"""Shopper sessions: cookie, idle and absolute expiry, touch rate, logout, no session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.access.helpers import link_token, login, post_form
from tests.conftest import make_settings
from tests.factories import make_customer, make_order
from ventanilla.access.deps import CurrentCustomer
from ventanilla.access.models import ShopperSession
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock


def _probe(request: Request, customer: CurrentCustomer) -> dict[str, Any]:
    return {"id": customer.id, "locale": request.state.customer_locale}


@pytest.fixture
def probe(app: FastAPI) -> str:
    """A shopper route of our own (the real pages come and go with other work)."""
    app.router.add_api_route("/me/probe", _probe, methods=["GET", "POST"])
    app.router.add_api_route("/api/v1/me/probe", _probe, methods=["GET"])
    return "/me/probe"


@pytest.fixture
def customer_id(session: Session) -> int:
    customer = make_customer(session, locale="en")
    session.commit()
    assert customer.id is not None
    return customer.id


def last_seen(session: Session) -> datetime:
    session.commit()  # end the read transaction: SQLite would keep showing its snapshot
    session.expire_all()
    return session.exec(select(ShopperSession)).one().last_seen_at


T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class TestSessionCookie:
    def test_a_valid_session_reaches_shopper_routes(
        self, client: TestClient, probe: str, customer_id: int
    ) -> None:
        login(client, customer_id)
        response = client.get(probe)
        assert response.status_code == 200
        # The customer's language is offered to the templates.
        assert response.json() == {"id": customer_id, "locale": "en"}

    @pytest.mark.parametrize("value", ["", "nope", "x" * 43, "a" * 500, "%C3%BC" * 10, "-_" * 30])
    def test_unknown_or_garbage_cookie_is_no_session(
        self, client: TestClient, probe: str, customer_id: int, value: str
    ) -> None:
        client.cookies.set("ventanilla_session", value)
        response = client.get(probe, follow_redirects=False)
        assert response.status_code == 303

    def test_no_session_redirects_html_to_find_my_order(
        self, client: TestClient, probe: str
    ) -> None:
        response = client.get(probe + "?tab=2", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/find?next=%2Fme%2Fprobe%3Ftab%3D2"
        page = client.get(response.headers["location"])
        assert page.status_code == 200 and 'id="find-next-notice"' in page.text

    def test_no_session_gets_401_json_under_api(self, client: TestClient, probe: str) -> None:
        response = client.get("/api/v1/me/probe")
        assert response.status_code == 401
        assert response.json()["code"] == "no_session"

    def test_no_session_tells_htmx_to_navigate(self, client: TestClient, probe: str) -> None:
        response = client.get(probe, headers={"HX-Request": "true"}, follow_redirects=False)
        assert response.headers["hx-redirect"].startswith("/find?next=")

    def test_no_session_on_a_form_post_redirects_too(self, client: TestClient, probe: str) -> None:
        response = post_form(client, probe)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/find")


class TestExpiry:
    def test_idle_session_expires(self, client: TestClient, probe: str, customer_id: int) -> None:
        with clock.frozen(T0):
            login(client, customer_id)
            clock.advance(timedelta(minutes=119))
            assert client.get(probe).status_code == 200
            clock.advance(timedelta(minutes=120, seconds=1))
            assert client.get(probe, follow_redirects=False).status_code == 303

    def test_activity_keeps_it_alive_until_the_absolute_limit(
        self, client: TestClient, probe: str, customer_id: int
    ) -> None:
        with clock.frozen(T0):
            login(client, customer_id)
            for _ in range(14):  # 14 x 100 min = 23 h 20 min, each within the idle limit
                clock.advance(timedelta(minutes=100))
                assert client.get(probe).status_code == 200
            clock.advance(timedelta(minutes=41))  # 24 h 01 min after login
            assert client.get(probe, follow_redirects=False).status_code == 303

    def test_last_seen_is_written_at_most_once_a_minute(
        self, client: TestClient, session: Session, probe: str, customer_id: int
    ) -> None:
        with clock.frozen(T0):
            login(client, customer_id)
            clock.advance(timedelta(seconds=30))
            client.get(probe)
            assert last_seen(session) == T0
            clock.advance(timedelta(seconds=31))
            client.get(probe)
            assert last_seen(session) == T0 + timedelta(seconds=61)
            clock.advance(timedelta(minutes=5))
            post_form(client, probe)  # a write request touches in its own transaction
            assert last_seen(session) == T0 + timedelta(seconds=361)


class TestLogout:
    def test_logout_revokes_the_session_on_the_server(
        self, client: TestClient, session: Session, probe: str, customer_id: int
    ) -> None:
        old = login(client, customer_id)
        assert client.get(probe).status_code == 200
        response = post_form(client, "/logout")
        assert response.status_code == 303
        assert response.headers["location"] == "/logged-out"
        cleared = response.headers["set-cookie"]
        assert cleared.startswith('ventanilla_session=""') and "Max-Age=0" in cleared
        assert session.exec(select(ShopperSession)).one().revoked_at is not None
        assert 'id="out-title"' in client.get("/logged-out").text
        # The old cookie, replayed, no longer works.
        client.cookies.set("ventanilla_session", old)
        assert client.get(probe, follow_redirects=False).status_code == 303

    def test_logout_without_a_session_still_lands_on_the_page(self, client: TestClient) -> None:
        response = post_form(client, "/logout")
        assert (response.status_code, response.headers["location"]) == (303, "/logged-out")

    def test_logout_is_not_possible_with_a_get(self, client: TestClient) -> None:
        assert client.get("/logout").status_code == 405


@pytest.fixture
def production(db_url: str, tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(db_url, tmp_path / "var", env="production", base_url="https://testserver")
    use_settings(s)
    yield s
    use_settings(None)


class TestProductionCookies:
    def test_session_and_csrf_cookies_are_secure_and_host_only(
        self, production: Settings, session: Session
    ) -> None:
        from ventanilla.app import create_app

        customer = make_customer(session, email="eva@example.com")
        order = make_order(session, customer=customer)
        session.commit()
        with TestClient(create_app(production), base_url="https://testserver") as client:
            page = client.get(f"/l/{link_token(order.number, 'eva@example.com')}")
            csrf_cookie = page.headers["set-cookie"]
            assert csrf_cookie.startswith("__Host-csrftoken=")
            assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie
            response = post_form(
                client, "/l", {"token": link_token(order.number, "eva@example.com")}
            )
            assert response.status_code == 303
            cookie = response.headers["set-cookie"]
            assert cookie.startswith("__Host-ventanilla_session=")
            for attribute in ("Secure", "HttpOnly", "Path=/"):
                assert attribute in cookie
            assert "samesite=lax" in cookie.lower() and "domain" not in cookie.lower()
            assert client.get(f"/orders/{order.number}", follow_redirects=False).status_code != 303
