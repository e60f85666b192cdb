"""POST /api/v1/orders/{number}/status: forward moves, no-ops, stale events, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import make_order
from tests.orders.support import snapshot
from ventanilla.activity.models import Activity
from ventanilla.core import clock
from ventanilla.orders.models import Order

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def post(store: TestClient, number: str, status: str, when: str, **extra: Any) -> Any:
    body = {"status": status, "at": when, **extra}
    return store.post(f"/api/v1/orders/{number}/status", json=body)


@pytest.fixture
def order_in(session: Session) -> Any:
    def build(status: str) -> Order:
        order = make_order(session, status=status, placed_at=T0, status_at=T0)
        session.commit()
        return order

    return build


def reload(engine: Engine, number: str) -> Order:
    with Session(engine) as s:
        return s.exec(select(Order).where(Order.number == number)).one()


def activities(engine: Engine) -> list[Activity]:
    with Session(engine) as s:
        return list(s.exec(select(Activity)).all())


class TestStatusEventApplied:
    def test_a_forward_event_moves_the_status_and_bumps_the_version(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        response = post(store, order.number, "shipped", at(30), note="GLS 123")
        assert response.status_code == 200
        body = response.json()
        assert (body["result"], body["status"], body["version"]) == ("updated", "shipped", 2)
        assert body["status_at"] == "2026-11-20T10:30:00Z"
        assert len(body["lines"]) == 2
        stored = reload(engine, order.number)
        assert (stored.status, stored.version) == ("shipped", 2)
        [entry] = activities(engine)
        assert entry.kind == "order.status_changed"
        assert entry.occurred_at == T0 + timedelta(minutes=30)
        assert entry.data["from"] == "paid"
        assert entry.data["to"] == "shipped"
        assert entry.data["note"] == "GLS 123"
        assert entry.actor_type == "store"

    def test_the_time_is_stored_in_utc_whatever_the_offset(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        post(store, order.number, "processing", "2026-11-20T12:00:00+02:00")
        assert reload(engine, order.number).status_at == T0

    def test_packed_follows_a_packing_claim(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        store.post(f"/api/v1/orders/{order.number}/packing")
        response = post(
            store, order.number, "packed", (clock.now() + timedelta(minutes=1)).isoformat()
        )
        assert response.status_code == 200
        assert response.json()["status"] == "packed"

    def test_cancelling_before_shipping_is_applied(self, store: TestClient, order_in: Any) -> None:
        order = order_in("processing")
        assert post(store, order.number, "cancelled", at(5)).json()["status"] == "cancelled"


class TestStatusEventNoOps:
    def test_the_same_status_again_is_unchanged(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        before = snapshot(engine)
        response = post(store, order.number, "paid", at(10))
        assert response.status_code == 200
        assert (response.json()["result"], response.json()["version"]) == ("unchanged", 1)
        assert snapshot(engine) == before

    def test_an_older_event_is_stale_recorded_and_not_applied(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        post(store, order.number, "shipped", at(60))
        response = post(store, order.number, "processing", at(30))
        assert response.status_code == 200
        body = response.json()
        assert (body["result"], body["status"], body["version"]) == ("stale", "shipped", 2)
        stored = reload(engine, order.number)
        assert (stored.status, stored.status_at) == ("shipped", T0 + timedelta(minutes=60))
        stale = [a for a in activities(engine) if a.kind == "order.status_event_stale"]
        assert len(stale) == 1
        assert stale[0].data["status"] == "processing"
        assert stale[0].data["current_status"] == "shipped"
        assert stale[0].occurred_at == T0 + timedelta(minutes=30)

    def test_an_older_backwards_event_is_stale_rather_than_refused(
        self, store: TestClient, order_in: Any
    ) -> None:
        order = order_in("paid")
        post(store, order.number, "delivered", at(60))
        response = post(store, order.number, "shipped", at(50))
        assert (response.status_code, response.json()["result"]) == (200, "stale")


class TestStatusEventRefused:
    @pytest.mark.parametrize(
        ("current", "target", "needle"),
        [
            ("shipped", "paid", "only move forward"),
            ("processing", "packed", "packed only after packing"),
            ("shipped", "cancelled", "cannot be cancelled"),
            ("delivered", "cancelled", "cannot change any more"),
            ("cancelled", "paid", "cannot change any more"),
        ],
    )
    def test_an_illegal_move_gets_409_with_the_reason_and_changes_nothing(
        self,
        store: TestClient,
        engine: Engine,
        order_in: Any,
        current: str,
        target: str,
        needle: str,
    ) -> None:
        order = order_in(current)
        before = snapshot(engine)
        response = post(store, order.number, target, at(10))
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "illegal_transition"
        assert f"from {current} to {target}" in body["detail"]
        assert needle in body["detail"]
        assert snapshot(engine) == before

    def test_an_unknown_order_gets_404(self, store: TestClient) -> None:
        response = post(store, "NOPE-1", "paid", at(0))
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"

    @pytest.mark.parametrize(
        "body",
        [
            {"status": "packing", "at": "2026-11-20T10:00:00Z"},
            {"status": "placed", "at": "2026-11-20T10:00:00Z"},
            {"status": "shipped", "at": "2026-11-20T10:00:00"},
            {"status": "shipped"},
            {"status": "shipped", "at": "yesterday"},
            {"status": "shipped", "at": "2026-11-20T10:00:00Z", "carrier": "GLS"},
            {"status": "shipped", "at": "2026-11-20T10:00:00Z", "note": "x" * 501},
        ],
        ids=["packing", "placed", "naive", "no-time", "not-a-time", "unknown-field", "long-note"],
    )
    def test_a_malformed_event_gets_422_and_changes_nothing(
        self, store: TestClient, engine: Engine, order_in: Any, body: dict[str, Any]
    ) -> None:
        order = order_in("paid")
        before = snapshot(engine)
        response = store.post(f"/api/v1/orders/{order.number}/status", json=body)
        assert response.status_code == 422
        assert snapshot(engine) == before

    def test_an_event_far_in_the_future_is_refused(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        before = snapshot(engine)
        when = (clock.now() + timedelta(days=30)).isoformat()
        response = post(store, order.number, "shipped", when)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "at"]
        assert snapshot(engine) == before


class TestStatusEventForwardButOlder:
    def test_packed_dated_before_the_claim_still_moves_the_order_forward(
        self, store: TestClient, engine: Engine, order_in: Any
    ) -> None:
        order = order_in("paid")
        claim = store.post(f"/api/v1/orders/{order.number}/packing")
        assert claim.status_code == 200
        claimed_at = reload(engine, order.number).status_at
        # The warehouse's clock runs a second behind ours.
        response = post(
            store, order.number, "packed", (claimed_at - timedelta(seconds=1)).isoformat()
        )
        assert (response.status_code, response.json()["result"]) == (200, "updated")
        stored = reload(engine, order.number)
        assert (stored.status, stored.status_at) == ("packed", claimed_at)
