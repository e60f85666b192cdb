"""The shopper's cancellation API (session cookie) and what the shop sees afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import login
from tests.changes.support import reload_order, shop, snapshot
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order


def base(order: Order) -> str:
    return f"/api/v1/me/orders/{order.number}/cancel"


class TestCancellationApi:
    def test_options_then_cancel_then_again_is_unchanged(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session, status="placed")
        login(client, order.customer_id)
        options = client.get(base(order))
        assert options.status_code == 200, options.text
        data = options.json()
        assert (data["can_cancel"], data["money"], data["version"]) == (True, "none", 1)
        assert {r["code"] for r in data["reasons"]} >= {"changed_mind", "other"}
        assert data["cancellation"] is None

        done = client.post(base(order), json={"version": 1, "reason": "too_slow"})
        assert done.status_code == 200, done.text
        body = done.json()
        assert (body["status"], body["outcome"], body["settlement"]) == (
            "cancelled",
            "cancelled",
            "none",
        )
        assert (body["reason"], body["version"]) == ("too_slow", 2)

        again = client.post(base(order), json={"version": 1})
        assert again.status_code == 200
        assert again.json()["outcome"] == "unchanged"
        assert again.json()["change_id"] == body["change_id"]
        after = client.get(base(order)).json()
        assert after["can_cancel"] is False and after["reason_code"] == "cancelled"
        assert after["cancellation"]["change_id"] == body["change_id"]

    def test_refusals_have_stable_codes_and_reasons_in_the_shoppers_language(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("almacén"), number=order.number)
        login(client, order.customer_id)  # the test customers speak Spanish
        before = snapshot(engine)
        refused = client.post(base(order), json={"version": 2})
        assert refused.status_code == 409
        error = refused.json()
        assert error["code"] == "packing_started"
        assert "can no longer be cancelled" in error["detail"]
        assert "ya no se puede cancelar" in error["reason"]
        assert snapshot(engine) == before

    def test_bad_input_is_a_422_and_changes_nothing(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        before = snapshot(engine)
        for body in ({"version": 1, "reason": "nope"}, {}, {"version": 0}, {"version": 1, "x": 1}):
            assert client.post(base(order), json=body).status_code == 422, body
        stale = client.post(base(order), json={"version": 9})
        assert (stale.status_code, stale.json()["code"]) == (409, "order_changed")
        assert snapshot(engine) == before

    def test_someone_elses_order_is_404(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        other, _p, _e = shop(session, extra_products=())
        login(client, other.customer_id)
        assert client.get(base(order)).status_code == 404
        assert client.post(base(order), json={"version": 1}).status_code == 404
        assert reload_order(order.number)[0].status == "paid"


class TestTheShopSeesIt:
    def test_read_back_shows_the_cancellation_and_a_claim_is_refused(
        self, client: TestClient, session: Session, api_key: str
    ) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        assert client.post(base(order), json={"version": 1}).status_code == 200
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {api_key}"
        read = client.get(f"/api/v1/orders/{order.number}")
        assert read.status_code == 200, read.text
        data = read.json()
        assert data["status"] == "cancelled"
        [change] = [c for c in data["changes"] if c["kind"] == "cancel"]
        assert (change["status"], change["old_total_minor"], change["new_total_minor"]) == (
            "confirmed",
            3630,
            0,
        )
        assert change["settlement"] == "shop_to_settle"  # paid, but no Stripe in this test
        claim = client.post(f"/api/v1/orders/{order.number}/packing")
        assert claim.status_code == 409
        assert claim.json()["code"] == "order_cancelled"
