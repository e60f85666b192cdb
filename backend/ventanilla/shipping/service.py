"""Shipments and carrier tracking: created by the shop, read by the order page and the widget."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.shipping import policy, repository
from ventanilla.shipping.exceptions import OrderCancelled, ShipmentConflict, ShipmentNotFound
from ventanilla.shipping.models import Shipment, ShipmentLine, TrackingEvent
from ventanilla.shipping.schemas import ShipmentCreate, TrackingEventCreate


@dataclass(frozen=True)
class ShipmentLineView:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class TrackingEventView:
    occurred_at: datetime
    status: str
    location: str | None
    text: str | None


@dataclass(frozen=True)
class ShipmentView:
    """A shipment with its lines and its events (oldest first), detached from the session."""

    id: int
    order_id: int
    order_number: str
    carrier: str
    tracking_number: str
    tracking_url: str | None
    status: str | None
    shipped_at: datetime | None
    created_at: datetime
    lines: list[ShipmentLineView] = field(default_factory=list)
    events: list[TrackingEventView] = field(default_factory=list)

    @property
    def latest_event(self) -> TrackingEventView | None:
        return self.events[-1] if self.events else None


@dataclass(frozen=True)
class ShipmentResult:
    shipment: ShipmentView
    created: bool


@dataclass(frozen=True)
class TrackingResult:
    shipment: ShipmentView
    added: int
    # (index in the request, occurred_at, status) of the events that were already stored
    duplicates: list[tuple[int, datetime, str]]


def shipments_for_order(session: Session, *, order_id: int) -> list[ShipmentView]:
    """Every shipment of an order with lines and events, in three queries whatever their number."""
    return _views(session, repository.shipments_with_number(session, order_id=order_id))


def list_shipments(session: Session, *, order_number: str) -> list[ShipmentView]:
    """The shipments of the order with this number."""
    order = orders_repository.get_by_number(session, order_number)
    if order is None or order.id is None:
        raise OrderNotFound()
    return shipments_for_order(session, order_id=order.id)


def get_shipment(session: Session, *, shipment_id: int) -> ShipmentView:
    """One shipment with its lines and events."""
    views = _views(session, repository.shipments_with_number(session, shipment_id=shipment_id))
    if not views:
        raise ShipmentNotFound()
    return views[0]


def create_shipment(
    session: Session, *, actor: Actor, order_number: str, data: ShipmentCreate
) -> ShipmentResult:
    """Record a parcel; the same carrier and tracking number again returns the stored one."""
    # The row lock serialises shipments of one order, so two pushes can't both take the last item.
    order = orders_repository.get_by_number(session, order_number, for_update=True)
    if order is None or order.id is None:
        raise OrderNotFound()
    requested = None if data.lines is None else [(x.sku, x.quantity) for x in data.lines]
    existing = repository.find(
        session, order_id=order.id, carrier=data.carrier, tracking_number=data.tracking_number
    )
    if existing is not None and existing.id is not None:
        view = get_shipment(session, shipment_id=existing.id)
        if not _same_shipment(view, data, requested):
            raise ShipmentConflict()
        return ShipmentResult(view, created=False)
    decision = policy.can_ship(order)
    if not decision.ok:
        raise OrderCancelled(code=decision.reason_code)

    order_lines = orders_repository.lines(session, order.id)
    shipped = repository.shipped_quantities(session, order_id=order.id)
    allocations, errors = policy.allocate(requested, order_lines, shipped)
    if errors:
        raise FieldErrors(errors)

    shipment = Shipment(
        order_id=order.id,
        carrier=data.carrier,
        tracking_number=data.tracking_number,
        tracking_url=data.tracking_url,
        shipped_at=data.shipped_at or clock.now(),
    )
    lines = [
        ShipmentLine(shipment_id=0, order_line_id=a.order_line_id, quantity=a.quantity)
        for a in allocations
    ]
    repository.add(session, shipment, lines)
    assert shipment.id is not None
    activity.record(
        session,
        actor=actor,
        kind="shipment.created",
        order_id=order.id,
        customer_id=order.customer_id,
        occurred_at=shipment.shipped_at,
        data={
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
        },
    )
    return ShipmentResult(get_shipment(session, shipment_id=shipment.id), created=True)


def add_tracking_events(
    session: Session, *, actor: Actor, shipment_id: int, events: Sequence[TrackingEventCreate]
) -> TrackingResult:
    """Store new carrier events (duplicates ignored); the newest event by time sets the status."""
    # Locked so concurrent pushes for one parcel neither duplicate events nor race on the status.
    shipment = repository.get(session, shipment_id, for_update=True)
    if shipment is None or shipment.id is None:
        raise ShipmentNotFound()
    errors = policy.future_event_errors((e.occurred_at for e in events), clock.now())
    if errors:
        raise FieldErrors(errors)

    stored = repository.event_keys(
        session, shipment_id=shipment.id, occurred=sorted({e.occurred_at for e in events})
    )
    fresh: list[TrackingEvent] = []
    duplicates: list[tuple[int, datetime, str]] = []
    for index, event in enumerate(events):
        key = (event.occurred_at, event.status)
        if key in stored:
            duplicates.append((index, event.occurred_at, event.status))
            continue
        stored.add(key)
        fresh.append(
            TrackingEvent(
                shipment_id=shipment.id,
                occurred_at=event.occurred_at,
                status=event.status,
                location=event.location,
                text=event.text,
            )
        )
    if fresh:
        newest = repository.newest_event(session, shipment_id=shipment.id)
        current = (newest.occurred_at, newest.status) if newest else None
        status = policy.newest_status(current, [(e.occurred_at, e.status) for e in fresh])
        repository.add_events(session, fresh)
        if status != shipment.status:
            shipment.status = status
            session.flush()
    return TrackingResult(
        shipment=get_shipment(session, shipment_id=shipment.id),
        added=len(fresh),
        duplicates=duplicates,
    )


def _same_shipment(
    view: ShipmentView, data: ShipmentCreate, requested: list[tuple[str, int]] | None
) -> bool:
    """Whether a repeated push agrees with the stored shipment on everything it states."""
    if data.tracking_url is not None and data.tracking_url != view.tracking_url:
        return False
    if data.shipped_at is not None and data.shipped_at != view.shipped_at:
        return False
    if requested is not None:
        return _by_sku(requested) == _by_sku((x.sku, x.quantity) for x in view.lines)
    return True


def _by_sku(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


def _views(session: Session, rows: list[tuple[Shipment, str]]) -> list[ShipmentView]:
    ids = [shipment.id for shipment, _ in rows if shipment.id is not None]
    if not ids:
        return []
    events: dict[int, list[TrackingEventView]] = {i: [] for i in ids}
    for event in repository.events_of(session, ids):
        events[event.shipment_id].append(
            TrackingEventView(event.occurred_at, event.status, event.location, event.text)
        )
    lines: dict[int, list[ShipmentLineView]] = {i: [] for i in ids}
    for shipment_id, sku, name, quantity in repository.lines_of(session, ids):
        lines[shipment_id].append(ShipmentLineView(sku, name, quantity))
    return [
        ShipmentView(
            id=shipment.id or 0,
            order_id=shipment.order_id,
            order_number=number,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            status=shipment.status,
            shipped_at=shipment.shipped_at,
            created_at=shipment.created_at,
            lines=lines[shipment.id or 0],
            events=events[shipment.id or 0],
        )
        for shipment, number in rows
    ]
