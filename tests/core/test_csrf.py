"""CSRF: every unsafe request to a page needs the signed double-submit token; /api is exempt."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from tests.access.helpers import csrf_token, login
from tests.factories import make_customer, make_order
from ventanilla.access.models import ShopperSession
from ventanilla.core import csrf
from ventanilla.core.ratelimit import RateLimitHit
from ventanilla.outbox.models import OutboxMessage

SECRET = "test-secret-key-0123456789abcdef"
FIND = {"order_number": "ES-1", "email": "ana@example.com"}


def nothing_changed(session: Session) -> bool:
    session.commit()
    rows = [
        session.exec(select(func.count()).select_from(model)).one()
        for model in (OutboxMessage, RateLimitHit)
    ]
    return rows == [0, 0]


class TestTokens:
    def test_a_new_token_is_valid_and_signed(self) -> None:
        token = csrf.new_token(SECRET)
        assert csrf.token_is_valid(token, SECRET)
        assert not csrf.token_is_valid(token, "another-secret")
        value, signature = token.split(".")
        assert not csrf.token_is_valid(f"{value}x.{signature}", SECRET)
        assert not csrf.token_is_valid(value, SECRET)
        assert not csrf.token_is_valid(None, SECRET)


class TestMiddleware:
    def test_a_page_sets_the_cookie_once_and_exposes_the_token(self, client: TestClient) -> None:
        first = client.get("/find")
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("csrftoken=") and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower() and "Secure" not in cookie
        token = client.cookies.get("csrftoken")
        assert f'name="csrf_token" value="{token}"' in first.text
        assert f'<meta name="csrf-token" content="{token}">' in first.text
        assert f'"X-CSRF-Token": "{token}"' in first.text  # hx-headers on <body>
        assert "set-cookie" not in client.get("/find").headers

    def test_missing_token_gets_403_and_changes_nothing(
        self, client: TestClient, session: Session
    ) -> None:
        client.get("/find")
        response = client.post("/find", data=FIND, follow_redirects=False)
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
        assert response.headers["content-security-policy"]  # the refusal is a page like any
        assert nothing_changed(session)

    def test_no_cookie_gets_403(self, client: TestClient, session: Session) -> None:
        token = csrf.new_token(SECRET)
        response = client.post("/find", data={**FIND, "csrf_token": token})
        assert response.status_code == 403
        assert nothing_changed(session)

    @pytest.mark.parametrize("wrong", ["", "x", "forged.token"])
    def test_wrong_token_gets_403(self, client: TestClient, session: Session, wrong: str) -> None:
        csrf_token(client)
        response = client.post("/find", data={**FIND, "csrf_token": wrong})
        assert response.status_code == 403
        assert nothing_changed(session)

    def test_a_matching_but_unsigned_pair_gets_403(
        self, client: TestClient, session: Session
    ) -> None:
        forged = csrf.new_token("the attacker's own secret")
        client.cookies.set("csrftoken", forged)
        response = client.post("/find", data={**FIND, "csrf_token": forged})
        assert response.status_code == 403
        assert nothing_changed(session)

    def test_the_form_field_passes(self, client: TestClient) -> None:
        token = csrf_token(client)
        response = client.post("/find", data={**FIND, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303

    def test_the_htmx_header_passes(self, client: TestClient) -> None:
        token = csrf_token(client)
        response = client.post(
            "/find", data=FIND, headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert response.status_code == 303

    def test_a_multipart_form_passes(self, client: TestClient) -> None:
        token = csrf_token(client)
        response = client.post(
            "/find",
            data={**FIND, "csrf_token": token},
            files={"attachment": ("a.txt", b"hello", "text/plain")},
            follow_redirects=False,
        )
        assert response.status_code == 303

    def test_a_cross_site_request_is_refused_even_with_the_token(self, client: TestClient) -> None:
        token = csrf_token(client)
        response = client.post(
            "/find", data={**FIND, "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 403

    @pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
    def test_every_unsafe_method_is_checked(self, client: TestClient, method: str) -> None:
        csrf_token(client)
        assert client.request(method, "/find").status_code == 403

    def test_a_garbled_body_is_a_403_not_a_500(self, client: TestClient) -> None:
        csrf_token(client)
        response = client.post(
            "/find",
            content=b"--xx\r\nnot really multipart",
            headers={"Content-Type": "multipart/form-data; boundary=xx"},
        )
        assert response.status_code == 403

    def test_logout_without_the_token_keeps_the_session(
        self, client: TestClient, session: Session
    ) -> None:
        customer = make_customer(session)
        session.commit()
        assert customer.id is not None
        login(client, customer.id)
        csrf_token(client)
        assert client.post("/logout", follow_redirects=False).status_code == 403
        session.commit()
        assert session.exec(select(ShopperSession)).one().revoked_at is None

    def test_the_api_is_exempt(self, store: TestClient, session: Session) -> None:
        order = make_order(session)
        session.commit()
        response = store.post(f"/api/v1/orders/{order.number}/links")
        assert response.status_code == 201
        assert "csrftoken" not in response.headers.get("set-cookie", "")
