"""Concurrent pushes of one shipment: one creates it, the others get it back; none fails."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.shipping import service
from ventanilla.shipping.schemas import ShipmentCreate, TrackingEventCreate

STORE = Actor.store("Tienda")


def race(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; results or exceptions, in any order."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome = work()
        except Exception as exc:  # the test asserts on what came back
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class TestConcurrentPushes:
    def test_the_same_shipment_pushed_at_once_is_created_once(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session, lines=1)
        session.commit()

        def push() -> bool:
            with session_scope() as s:
                data = ShipmentCreate(carrier="SEUR", tracking_number="RACE-1")
                return service.create_shipment(
                    s, actor=STORE, order_number=order.number, data=data
                ).created

        assert sorted(race(4, push)) == [False, False, False, True]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM shipments")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM shipment_lines")).scalar_one() == 1

    def test_the_same_events_pushed_at_once_are_stored_once(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session, lines=1)
        created = service.create_shipment(
            session,
            actor=STORE,
            order_number=order.number,
            data=ShipmentCreate(carrier="SEUR", tracking_number="RACE-2"),
        )
        session.commit()
        events = [
            TrackingEventCreate.model_validate({"occurred_at": at, "status": status})
            for at, status in [
                ("2026-11-20T10:00:00Z", "in_transit"),
                ("2026-11-21T10:00:00Z", "delivered"),
            ]
        ]

        def push() -> int:
            with session_scope() as s:
                return service.add_tracking_events(
                    s, actor=STORE, shipment_id=created.shipment.id, events=events
                ).added

        assert sorted(race(4, push)) == [0, 0, 0, 2]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM tracking_events")).scalar_one() == 2
            assert conn.execute(text("SELECT status FROM shipments")).scalar_one() == "delivered"
