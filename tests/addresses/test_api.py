"""The shopper's JSON API for the address and codes: same service, JSON answers, JSON only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.addresses.helpers import (
    NEW_ADDRESS,
    add_webhook_endpoint,
    last_code,
    login,
    order_state,
    outbox,
    snapshot,
)
from tests.factories import make_customer, make_order
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order


@pytest.fixture
def shop(session: Session) -> tuple[Customer, Order]:
    customer = make_customer(session, email="lucia@example.com")
    order = make_order(session, customer=customer, status="paid")
    session.commit()
    add_webhook_endpoint()
    return customer, order


def url(order: Order) -> str:
    return f"/api/v1/me/orders/{order.number}/address"


class TestAddressApi:
    def test_get_shows_the_address_version_and_what_is_possible(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        body = client.get(url(order)).json()
        assert body["number"] == order.number and body["version"] == 1
        assert body["address"]["postcode"] == "28013"
        assert (body["can_change"], body["reason_code"], body["verified"]) == (True, None, False)

    def test_put_changes_the_address(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        response = client.put(url(order), json={"version": 1, "address": NEW_ADDRESS})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["version"], body["changed"]) == (2, True)
        assert body["address"]["region"] == "Bizkaia"
        assert body["address"]["phone"] == "+34600111222"
        assert order_state(order.number)[0].version == 2
        assert len(outbox("email")) == 1 and len(outbox("webhook")) == 1
        again = client.put(url(order), json={"version": 2, "address": NEW_ADDRESS}).json()
        assert (again["version"], again["changed"]) == (2, False)

    def test_without_proof_403_then_a_code_then_it_works(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        body = {"version": 1, "address": NEW_ADDRESS}
        refused = client.put(url(order), json=body)
        assert refused.status_code == 403
        assert refused.json()["code"] == "verification_required"
        sent = client.post("/api/v1/me/access-codes", json={})
        assert sent.status_code == 201
        assert sent.json()["sent_to"] == "l***@example.com"
        bad = client.post("/api/v1/me/access-codes/verify", json={"code": "12"})
        assert bad.status_code == 422 and bad.json()["code"] == "code_format"
        ok = client.post("/api/v1/me/access-codes/verify", json={"code": last_code()})
        assert ok.status_code == 200 and ok.json()["verified_until"]
        assert client.get(url(order)).json()["verified"] is True
        assert client.put(url(order), json=body).status_code == 200

    def test_a_wrong_code_is_422_and_counts(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, _order = shop
        login(client, customer.id or 0, verified=False)
        client.post("/api/v1/me/access-codes")
        code = last_code()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        first = client.post("/api/v1/me/access-codes/verify", json={"code": wrong}).json()
        second = client.post("/api/v1/me/access-codes/verify", json={"code": wrong}).json()
        assert (first["code"], first["attempts_left"]) == ("code_invalid", 4)
        assert second["attempts_left"] == 3

    def test_codes_are_rate_limited_with_429(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, _order = shop
        login(client, customer.id or 0, verified=False)
        for _ in range(5):
            assert client.post("/api/v1/me/access-codes", json={}).status_code == 201
        limited = client.post("/api/v1/me/access-codes", json={})
        assert limited.status_code == 429 and "Retry-After" in limited.headers

    def test_invalid_addresses_get_field_errors(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        before = snapshot()
        bad = {**NEW_ADDRESS, "postcode": "53001"}
        response = client.put(url(order), json={"version": 1, "address": bad})
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "address", "postcode"]
        assert error["type"] == "postcode_unknown" and "01 to 52" in error["msg"]
        assert snapshot() == before

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"version": 1},
            {"version": 0, "address": NEW_ADDRESS},
            {"version": "one", "address": NEW_ADDRESS},
            {"version": 1, "address": {**NEW_ADDRESS, "extra": "x"}},
            {"version": 1, "address": {**NEW_ADDRESS, "city": None}},
            {"version": 1, "address": {**NEW_ADDRESS, "line1": "a\x00b"}},
            {"version": 1, "address": {**NEW_ADDRESS, "name": "x" * 600}},
        ],
    )
    def test_malformed_bodies_are_422_and_change_nothing(
        self, client: TestClient, shop: tuple[Customer, Order], body: dict[str, object]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        before = snapshot()
        assert client.put(url(order), json=body).status_code == 422
        assert snapshot() == before

    def test_only_json_bodies_are_accepted(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        before = snapshot()
        form = {"version": "1", **NEW_ADDRESS}
        assert client.put(url(order), data=form).status_code == 415
        response = client.post(
            "/api/v1/me/access-codes/verify",
            content=b'{"code": "123456"}',
            headers={"Content-Type": "text/plain"},
        )
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
        sent = client.post("/api/v1/me/access-codes", data={"a": "b"})
        assert sent.status_code == 415 and outbox("email") == []
        assert snapshot() == before

    def test_stale_version_is_409_order_changed(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        client.put(url(order), json={"version": 1, "address": NEW_ADDRESS})
        before = snapshot()
        other = {**NEW_ADDRESS, "city": "Getxo", "postcode": "48990"}
        response = client.put(url(order), json={"version": 1, "address": other})
        assert response.status_code == 409 and response.json()["code"] == "order_changed"
        assert snapshot() == before

    def test_after_the_packing_claim_409_packing_started_like_the_items_api(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        state = client.get(url(order)).json()
        assert (state["can_change"], state["reason_code"]) == (False, "packing_started")
        response = client.put(url(order), json={"version": 2, "address": NEW_ADDRESS})
        assert response.status_code == 409
        body = response.json()
        # The same reason, the same code on every route (docs/decisions.md: one refusal path).
        assert body["code"] == "packing_started" and "packing" in body["detail"]

    def test_a_second_customer_gets_404(
        self, client: TestClient, shop: tuple[Customer, Order], session: Session
    ) -> None:
        _customer, order = shop
        stranger = make_customer(session)
        session.commit()
        login(client, stranger.id or 0)
        before = snapshot()
        assert client.get(url(order)).status_code == 404
        response = client.put(url(order), json={"version": 1, "address": NEW_ADDRESS})
        assert response.status_code == 404 and response.json()["code"] == "order_not_found"
        assert snapshot() == before

    def test_without_a_session_401(self, client: TestClient, shop: tuple[Customer, Order]) -> None:
        _customer, order = shop
        assert client.get(url(order)).status_code == 401
        assert client.post("/api/v1/me/access-codes", json={}).status_code == 401

    def test_the_routes_are_documented(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        put = paths["/api/v1/me/orders/{number}/address"]["put"]
        assert {"200", "403", "404", "409", "422"} <= set(put["responses"])
        assert "/api/v1/me/access-codes/verify" in paths
