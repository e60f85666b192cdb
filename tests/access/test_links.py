"""Links: created by the store API, opened (without spending) and spent by the shopper."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from tests.access.helpers import csrf_token, link_token, post_form
from tests.factories import make_customer, make_order
from ventanilla.access import service
from ventanilla.access.exceptions import LinkRejected
from ventanilla.access.models import LinkUse, ShopperSession
from ventanilla.activity.models import Activity
from ventanilla.apikeys import service as apikeys_service
from ventanilla.core import clock
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders.models import Order

SECRET = b"test-link-secret-0123456789abcdef"


def count(session: Session, model: type) -> int:
    session.commit()  # end the read transaction: SQLite would keep showing its snapshot
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def order(session: Session) -> Order:
    customer = make_customer(session, email="ana@example.com", name="Ana Pérez")
    made = make_order(session, customer=customer)
    session.commit()
    return made


def token_of(url: str) -> str:
    return urlparse(url).path.rsplit("/", 1)[1]


class TestLinksApi:
    def test_creates_a_link_with_the_policy_defaults(self, store: TestClient, order: Order) -> None:
        response = store.post(f"/api/v1/orders/{order.number}/links")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["url"].startswith("http://testserver/l/")
        expires = datetime.fromisoformat(body["expires_at"])
        assert abs(expires - (clock.now() + timedelta(days=15))) < timedelta(minutes=1)
        claims = service.tokens.verify(
            token_of(body["url"]), email="ana@example.com", secret=SECRET, now=clock.now()
        )
        assert (claims.order_number, claims.max_uses) == (order.number, 5)

    def test_a_created_link_carries_no_personal_data(self, store: TestClient, order: Order) -> None:
        url = store.post(f"/api/v1/orders/{order.number}/links").json()["url"]
        assert "@" not in url and "ana" not in url.lower()
        body = token_of(url).split(".")[0]
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        assert "@" not in payload
        assert set(json.loads(payload)) == {"v", "o", "iat", "exp", "jti", "u"}

    def test_ttl_and_uses_can_be_chosen(self, store: TestClient, order: Order) -> None:
        response = store.post(
            f"/api/v1/orders/{order.number}/links", json={"ttl_days": 2, "max_uses": 1}
        )
        assert response.status_code == 201
        expires = datetime.fromisoformat(response.json()["expires_at"])
        assert abs(expires - (clock.now() + timedelta(days=2))) < timedelta(minutes=1)

    @pytest.mark.parametrize(
        "body",
        [
            {"ttl_days": 0},
            {"ttl_days": 31},
            {"max_uses": 0},
            {"max_uses": 21},
            {"ttl_days": "soon"},
            {"colour": "red"},
        ],
    )
    def test_out_of_range_options_get_422(
        self, store: TestClient, order: Order, body: dict[str, object]
    ) -> None:
        response = store.post(f"/api/v1/orders/{order.number}/links", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_unknown_order_gets_404(self, store: TestClient, order: Order) -> None:
        response = store.post("/api/v1/orders/ES-NOPE/links")
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"

    def test_needs_a_key_with_the_links_scope(self, client: TestClient, order: Order) -> None:
        assert client.post(f"/api/v1/orders/{order.number}/links").status_code == 401
        with session_scope() as s:
            key = apikeys_service.create_key(s, name="Almacén", scopes=["orders:write"]).key
        response = client.post(
            f"/api/v1/orders/{order.number}/links", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 403

    def test_a_created_link_opens_the_order(self, store: TestClient, order: Order) -> None:
        url = store.post(f"/api/v1/orders/{order.number}/links").json()["url"]
        response = post_form(store, "/l", {"token": token_of(url)})
        assert response.status_code == 303
        assert response.headers["location"] == f"/orders/{order.number}"


class TestOpeningALink:
    def test_get_shows_continue_and_spends_nothing(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "ana@example.com", max_uses=1)
        for _ in range(5):  # a mail scanner, a preview, the shopper...
            response = client.get(f"/l/{token}")
            assert response.status_code == 200
        assert 'id="continue-title"' in response.text
        assert f'value="{token}"' in response.text
        assert 'action="/l"' in response.text and 'name="csrf_token"' in response.text
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in response.headers["x-robots-tag"]
        assert count(session, LinkUse) == 0
        assert count(session, ShopperSession) == 0
        # ...and the single use is still there.
        assert post_form(client, "/l", {"token": token}).status_code == 303

    def test_post_starts_a_session_and_redirects_to_a_clean_url(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "ana@example.com")
        response = post_form(client, "/l", {"token": token})
        assert response.status_code == 303
        assert response.headers["location"] == f"/orders/{order.number}"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("ventanilla_session=")
        assert "HttpOnly" in cookie and "Path=/" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # test mode; production is checked separately
        value = cookie.split(";")[0].split("=", 1)[1]
        stored = session.exec(select(ShopperSession)).one()
        assert stored.token_hash == service.hash_session_token(value) != value
        assert stored.via == "link" and stored.order_id == order.id
        use = session.exec(select(LinkUse)).one()
        assert (use.uses, use.order_id) == (1, order.id)
        entry = session.exec(select(Activity).where(Activity.kind == "access.link_used")).one()
        assert (entry.actor_type, entry.order_id) == ("customer", order.id)

    def test_use_limit_five_then_refused(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "ana@example.com", max_uses=5)
        for _ in range(5):
            assert post_form(client, "/l", {"token": token}).status_code == 303
        refused = post_form(client, "/l", {"token": token})
        assert refused.status_code == 410
        assert 'data-reason="link_spent"' in refused.text
        assert "ventanilla_session" not in refused.headers.get("set-cookie", "")
        assert client.get(f"/l/{token}").status_code == 410
        assert session.exec(select(LinkUse)).one().uses == 5
        assert count(session, ShopperSession) == 5

    def test_expired_link_gets_410_without_order_data(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        with clock.frozen(datetime.now(UTC)):
            token = link_token(order.number, "ana@example.com")
            clock.advance(timedelta(days=15, seconds=1))
            landing = client.get(f"/l/{token}")
            spent = post_form(client, "/l", {"token": token})
        for response in (landing, spent):
            assert response.status_code == 410
            assert 'data-reason="link_expired"' in response.text
            assert "Ana" not in response.text and "ana@example.com" not in response.text
            assert "Calle Mayor" not in response.text
            # The way out: ask for a new link, the order number already filled in.
            assert 'action="/find"' in response.text
            assert f'value="{order.number}"' in response.text
        assert count(session, LinkUse) == 0 and count(session, ShopperSession) == 0

    @pytest.mark.parametrize("part", ["payload", "signature"])
    def test_tampered_link_gets_400_and_no_prefill(
        self, client: TestClient, session: Session, order: Order, part: str
    ) -> None:
        token = link_token(order.number, "ana@example.com")
        index = 3 if part == "payload" else token.index(".") + 3
        tampered = token[:index] + ("x" if token[index] != "x" else "y") + token[index + 1 :]
        for response in (
            client.get(f"/l/{tampered}"),
            post_form(client, "/l", {"token": tampered}),
        ):
            assert response.status_code == 400
            assert 'action="/find"' in response.text
            assert order.number not in response.text
        assert count(session, ShopperSession) == 0

    def test_unknown_order_is_invalid(self, client: TestClient, order: Order) -> None:
        token = link_token("ES-NOPE", "ana@example.com")
        assert client.get(f"/l/{token}").status_code == 400
        assert post_form(client, "/l", {"token": token}).status_code == 400

    def test_link_for_another_email_is_invalid(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "someone.else@example.com")
        assert post_form(client, "/l", {"token": token}).status_code == 400
        # And a link stops working when the order's customer changes email.
        good = link_token(order.number, "ana@example.com")
        customer = session.get(Customer, order.customer_id)
        assert customer is not None
        customer.email = "ana.nueva@example.com"
        session.add(customer)
        session.commit()
        assert post_form(client, "/l", {"token": good}).status_code == 400
        assert count(session, ShopperSession) == 0

    def test_a_link_signed_for_another_customers_email_is_refused(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        eva = make_customer(session, email="eva@example.com", name="Eva Gil")
        evas_order = make_order(session, customer=eva)
        session.commit()
        # Eva's email on Ana's order: the same "does not work" as any broken link, no prefill.
        forged = link_token(order.number, "eva@example.com")
        for response in (client.get(f"/l/{forged}"), post_form(client, "/l", {"token": forged})):
            assert response.status_code == 400
            assert 'data-reason="link_invalid"' in response.text
            assert order.number not in response.text
        assert count(session, ShopperSession) == 0 and count(session, LinkUse) == 0
        # Expired as well: still "invalid", since expiry is only looked at once the MAC is good.
        with clock.frozen(datetime.now(UTC)):
            stale = link_token(order.number, "eva@example.com")
            clock.advance(timedelta(days=16))
            assert client.get(f"/l/{stale}").status_code == 400
        # Eva's own link opens Eva's order.
        response = post_form(
            client, "/l", {"token": link_token(evas_order.number, "Eva@Example.com")}
        )
        assert (response.status_code, response.headers["location"]) == (
            303,
            f"/orders/{evas_order.number}",
        )

    def test_link_id_reused_for_another_order_is_invalid(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        other = make_order(session, customer=session.get(Customer, order.customer_id))
        session.commit()
        first = link_token(order.number, "ana@example.com")
        assert post_form(client, "/l", {"token": first}).status_code == 303
        claims = service.tokens.verify(
            first, email="ana@example.com", secret=SECRET, now=clock.now()
        )
        forged_claims = service.tokens.LinkClaims(
            order_number=other.number,
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
            jti=claims.jti,
            max_uses=claims.max_uses,
        )
        same_id = service.tokens.sign(forged_claims, SECRET, email="ana@example.com")
        assert post_form(client, "/l", {"token": same_id}).status_code == 400

    def test_revoked_link_gets_410(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "ana@example.com")
        assert post_form(client, "/l", {"token": token}).status_code == 303
        use = session.exec(select(LinkUse)).one()
        use.revoked_at = clock.now()
        session.add(use)
        session.commit()
        assert client.get(f"/l/{token}").status_code == 410
        assert post_form(client, "/l", {"token": token}).status_code == 410

    @pytest.mark.parametrize("token", ["", "x" * 5000, "a.b"])
    def test_missing_or_absurd_token_in_the_form_gets_400(
        self, client: TestClient, order: Order, token: str
    ) -> None:
        assert post_form(client, "/l", {"token": token}).status_code == 400

    def test_opening_a_link_replaces_the_previous_session(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        token = link_token(order.number, "ana@example.com")
        post_form(client, "/l", {"token": token})
        post_form(client, "/l", {"token": token})
        sessions = session.exec(select(ShopperSession).order_by(ShopperSession.id)).all()
        assert [s.revoked_at is not None for s in sessions] == [True, False]


class TestConcurrentUse:
    def test_the_last_use_is_taken_once(self, settings, order: Order) -> None:  # type: ignore[no-untyped-def]
        token = link_token(order.number, "ana@example.com", max_uses=3)
        results: list[str] = []
        barrier = threading.Barrier(8)

        def use() -> None:
            barrier.wait()
            try:
                with session_scope() as s:
                    service.open_link(s, token=token)
                results.append("ok")
            except LinkRejected as exc:
                results.append(exc.code)

        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["link_spent"] * 5 + ["ok"] * 3
        with session_scope(write=False) as s:
            assert s.exec(select(LinkUse)).one().uses == 3


def test_csrf_token_helper_sets_a_cookie(client: TestClient) -> None:
    assert csrf_token(client)
