"""Carrier tracking events: batches, repeats ignored, the newest event by time sets the status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from tests.shipping.test_shipments_api import snapshot
from ventanilla.core import clock


def event(at: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"occurred_at": at, "status": status, **extra}


@pytest.fixture
def shipment_id(store: TestClient, session: Session) -> int:
    order = make_order(session, lines=1)
    session.commit()
    response = store.post(
        f"/api/v1/orders/{order.number}/shipments",
        json={"carrier": "Correos Express", "tracking_number": "CE-77"},
    )
    assert response.status_code == 201
    return int(response.json()["id"])


def push(store: TestClient, shipment_id: int, *events: dict[str, Any]) -> Any:
    return store.post(f"/api/v1/shipments/{shipment_id}/events", json={"events": list(events)})


class TestTrackingEvents:
    def test_a_batch_is_stored_and_the_newest_event_sets_the_status(
        self, store: TestClient, shipment_id: int
    ) -> None:
        response = push(
            store,
            shipment_id,
            event("2026-11-21T08:15:00+01:00", "out_for_delivery", location="Sevilla"),
            event("2026-11-20T18:02:00+01:00", "in_transit", location="Madrid", text="En tránsito"),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["added"] == 2 and body["duplicates"] == []
        shipment = body["shipment"]
        assert shipment["status"] == "out_for_delivery"
        assert shipment["events"] == [
            {
                "occurred_at": "2026-11-20T17:02:00Z",
                "status": "in_transit",
                "location": "Madrid",
                "text": "En tránsito",
            },
            {
                "occurred_at": "2026-11-21T07:15:00Z",
                "status": "out_for_delivery",
                "location": "Sevilla",
                "text": None,
            },
        ]

    def test_an_older_event_arriving_late_does_not_override_the_status(
        self, store: TestClient, shipment_id: int
    ) -> None:
        push(store, shipment_id, event("2026-11-22T12:00:00Z", "delivered"))
        late = push(store, shipment_id, event("2026-11-21T09:00:00Z", "out_for_delivery"))
        assert late.status_code == 201
        shipment = late.json()["shipment"]
        assert shipment["status"] == "delivered"
        assert [e["status"] for e in shipment["events"]] == ["out_for_delivery", "delivered"]

        newer = push(store, shipment_id, event("2026-11-23T09:00:00Z", "returned_to_sender"))
        assert newer.json()["shipment"]["status"] == "returned_to_sender"

    def test_repeated_events_are_ignored_and_reported(
        self, store: TestClient, shipment_id: int, engine: Engine
    ) -> None:
        batch = [
            event("2026-11-20T10:00:00Z", "label_created"),
            event("2026-11-20T18:00:00Z", "in_transit"),
        ]
        first = push(store, shipment_id, *batch)
        before = snapshot(engine)
        again = push(store, shipment_id, *batch)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["added"] == 0
        assert again.json()["duplicates"] == [
            {"index": 0, "occurred_at": "2026-11-20T10:00:00Z", "status": "label_created"},
            {"index": 1, "occurred_at": "2026-11-20T18:00:00Z", "status": "in_transit"},
        ]
        assert snapshot(engine) == before

    def test_the_same_instant_in_another_offset_is_a_duplicate(
        self, store: TestClient, shipment_id: int
    ) -> None:
        push(store, shipment_id, event("2026-11-20T10:00:00+01:00", "in_transit"))
        again = push(
            store,
            shipment_id,
            event("2026-11-20T09:00:00Z", "in_transit", text="other words, same event"),
            event("2026-11-20T09:00:00Z", "exception"),
            event("2026-11-20T09:00:00Z", "exception"),
        )
        body = again.json()
        assert body["added"] == 1
        assert [d["index"] for d in body["duplicates"]] == [0, 2]
        # Same time, later arrival: the tie goes to the newcomer.
        assert body["shipment"]["status"] == "exception"

    def test_unknown_shipment_is_404(self, store: TestClient, engine: Engine) -> None:
        before = snapshot(engine)
        response = push(store, 424242, event("2026-11-20T10:00:00Z", "in_transit"))
        assert response.status_code == 404
        assert response.json()["code"] == "shipment_not_found"
        for bad_id in (0, -1, 2**40):
            bad = push(store, bad_id, event("2026-11-20T10:00:00Z", "in_transit"))
            assert bad.status_code == 422
            assert bad.json()["detail"][0]["loc"] == ["path", "shipment_id"]
        assert snapshot(engine) == before

    @pytest.mark.parametrize(
        ("events", "loc"),
        [
            ([event("2026-11-20T10:00:00Z", "lost_in_space")], ["body", "events", 0, "status"]),
            ([event("2026-11-20T10:00:00", "in_transit")], ["body", "events", 0, "occurred_at"]),
            ([event("yesterday", "in_transit")], ["body", "events", 0, "occurred_at"]),
            (
                [event("2026-11-20T10:00:00Z", "in_transit"), {"status": "delivered"}],
                ["body", "events", 1, "occurred_at"],
            ),
            ([event("2026-11-20T10:00:00Z", "in_transit", lat=1)], ["body", "events", 0, "lat"]),
            (
                [event("2026-11-20T10:00:00Z", "in_transit", location="x" * 201)],
                ["body", "events", 0, "location"],
            ),
            ([], ["body", "events"]),
            ([event("2026-11-20T10:00:00Z", "in_transit")] * 101, ["body", "events"]),
        ],
    )
    def test_malformed_events_are_refused_and_nothing_is_stored(
        self,
        store: TestClient,
        shipment_id: int,
        engine: Engine,
        events: list[dict[str, Any]],
        loc: list[Any],
    ) -> None:
        before = snapshot(engine)
        response = push(store, shipment_id, *events)
        assert response.status_code == 422, response.text
        assert loc in [e["loc"] for e in response.json()["detail"]]
        assert snapshot(engine) == before

    def test_an_event_dated_more_than_a_day_ahead_is_refused(
        self, store: TestClient, shipment_id: int, engine: Engine
    ) -> None:
        at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        before = snapshot(engine)
        with clock.frozen(at):
            response = push(
                store,
                shipment_id,
                event((at + timedelta(hours=1)).isoformat(), "in_transit"),
                event((at + timedelta(hours=25)).isoformat(), "delivered"),
            )
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [
            ["body", "events", 1, "occurred_at"]
        ]
        assert snapshot(engine) == before

    def test_events_are_listed_oldest_first_with_the_order_shipments(
        self, store: TestClient, shipment_id: int, engine: Engine
    ) -> None:
        push(store, shipment_id, event("2026-11-21T10:00:00Z", "delivered"))
        push(store, shipment_id, event("2026-11-20T10:00:00Z", "label_created"))
        with engine.connect() as conn:
            number = conn.execute(text("SELECT number FROM orders")).scalar_one()
        listed = store.get(f"/api/v1/orders/{number}/shipments").json()["data"][0]
        assert [e["status"] for e in listed["events"]] == ["label_created", "delivered"]
        assert listed["status"] == "delivered"
