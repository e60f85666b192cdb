"""The order page's read: shipments with lines and events, in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from ventanilla.core.actors import Actor
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order
from ventanilla.shipping import policy, service
from ventanilla.shipping.schemas import ShipmentCreate, TrackingEventCreate

STORE = Actor.store("Tienda")
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # SQLite's explicit BEGIN (see ventanilla.db) is transaction control, not a query.
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def order_with_shipments(session: Session, *, shipments: int, events_each: int) -> Order:
    order = make_order(session, lines=shipments)
    assert order.id is not None
    for n, line in enumerate(orders_repository.lines(session, order.id)):
        created = service.create_shipment(
            session,
            actor=STORE,
            order_number=order.number,
            data=ShipmentCreate(
                carrier="MRW",
                tracking_number=f"MRW-{n}",
                lines=[{"sku": line.sku, "quantity": 1}],  # type: ignore[list-item]
            ),
        )
        # Pushed newest first, so the read has to sort them.
        service.add_tracking_events(
            session,
            actor=STORE,
            shipment_id=created.shipment.id,
            events=[
                TrackingEventCreate(occurred_at=T0 + timedelta(hours=k), status="in_transit")
                for k in reversed(range(events_each))
            ],
        )
    session.commit()
    return order


class TestShipmentsForOrder:
    def test_statement_count_does_not_grow_with_shipments_or_events(
        self, session: Session, engine: Engine
    ) -> None:
        small = order_with_shipments(session, shipments=1, events_each=1)
        large = order_with_shipments(session, shipments=4, events_each=12)
        counts = []
        for order in (small, large):
            with Session(engine) as fresh, count_statements(engine) as statements:
                views = service.shipments_for_order(fresh, order_id=order.id or 0)
            counts.append(len(statements))
        assert counts == [3, 3]
        assert len(views) == 4
        assert all(len(v.events) == 12 and len(v.lines) == 1 for v in views)

    def test_events_come_oldest_first_and_the_views_are_complete(self, session: Session) -> None:
        order = order_with_shipments(session, shipments=2, events_each=3)
        views = service.shipments_for_order(session, order_id=order.id or 0)
        assert [v.tracking_number for v in views] == ["MRW-0", "MRW-1"]
        for view in views:
            times = [e.occurred_at for e in view.events]
            assert times == sorted(times) and times[0] == T0
            assert view.order_number == order.number
            assert view.latest_event is not None and view.latest_event.occurred_at == times[-1]
            assert view.lines[0].name and view.lines[0].quantity == 1

    def test_an_order_without_shipments_has_none(self, session: Session) -> None:
        order = make_order(session)
        assert service.shipments_for_order(session, order_id=order.id or 0) == []


class TestPolicy:
    def test_newest_status_never_goes_back_in_time(self) -> None:
        current = (T0, "delivered")
        assert policy.newest_status(current, [(T0 - timedelta(hours=1), "in_transit")]) == (
            "delivered"
        )
        assert policy.newest_status(current, [(T0, "exception")]) == "exception"
        assert policy.newest_status(None, []) is None
        assert (
            policy.newest_status(None, [(T0, "in_transit"), (T0 - timedelta(1), "label_created")])
            == "in_transit"
        )

    def test_a_sku_on_two_lines_is_filled_line_by_line(self, session: Session) -> None:
        order = make_order(session, lines=2)
        first, second = orders_repository.lines(session, order.id or 0)
        second.sku = first.sku
        first.quantity, second.quantity = 2, 3
        allocations, errors = policy.allocate([(first.sku, 4)], [first, second], {first.id or 0: 1})
        assert errors == []
        assert [(a.order_line_id, a.quantity) for a in allocations] == [
            (first.id, 1),
            (second.id, 3),
        ]
        _, too_many = policy.allocate([(first.sku, 5)], [first, second], {first.id or 0: 1})
        assert too_many[0][0] == ("body", "lines", 0, "quantity")
