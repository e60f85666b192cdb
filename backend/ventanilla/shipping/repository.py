"""Every query on shipments, their lines and tracking events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ventanilla.orders.models import Order, OrderLine
from ventanilla.shipping.models import Shipment, ShipmentLine, TrackingEvent


def get(session: Session, shipment_id: int, *, for_update: bool = False) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.id == shipment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def find(session: Session, *, order_id: int, carrier: str, tracking_number: str) -> Shipment | None:
    stmt = select(Shipment).where(
        Shipment.order_id == order_id,
        Shipment.carrier == carrier,
        Shipment.tracking_number == tracking_number,
    )
    return session.exec(stmt).first()


def add(session: Session, shipment: Shipment, lines: Sequence[ShipmentLine]) -> None:
    session.add(shipment)
    session.flush()
    for line in lines:
        line.shipment_id = shipment.id or 0
        session.add(line)
    session.flush()


def shipped_quantities(session: Session, *, order_id: int) -> dict[int, int]:
    """Quantity already in shipments, per order line id."""
    stmt = (
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, col(Shipment.id) == col(ShipmentLine.shipment_id))
        .where(Shipment.order_id == order_id)
        .group_by(col(ShipmentLine.order_line_id))
    )
    return {line_id: int(total or 0) for line_id, total in session.exec(stmt).all()}


def shipments_with_number(
    session: Session, *, order_id: int | None = None, shipment_id: int | None = None
) -> list[tuple[Shipment, str]]:
    """Shipments of one order (or one shipment) beside their order number, oldest first."""
    stmt = select(Shipment, Order.number).join(Order, col(Order.id) == col(Shipment.order_id))
    if order_id is not None:
        stmt = stmt.where(Shipment.order_id == order_id)
    if shipment_id is not None:
        stmt = stmt.where(Shipment.id == shipment_id)
    stmt = stmt.order_by(col(Shipment.shipped_at), col(Shipment.id))
    return [(shipment, number) for shipment, number in session.exec(stmt).all()]


def events_of(session: Session, shipment_ids: Sequence[int]) -> list[TrackingEvent]:
    """Every event of these shipments, oldest first."""
    stmt = (
        select(TrackingEvent)
        .where(col(TrackingEvent.shipment_id).in_(shipment_ids))
        .order_by(col(TrackingEvent.occurred_at), col(TrackingEvent.id))
    )
    return list(session.exec(stmt).all())


def lines_of(session: Session, shipment_ids: Sequence[int]) -> list[tuple[int, str, str, int]]:
    """(shipment id, sku, name, quantity) for every line of these shipments, in order-line order."""
    stmt = (
        select(ShipmentLine.shipment_id, OrderLine.sku, OrderLine.name, ShipmentLine.quantity)
        .join(OrderLine, col(OrderLine.id) == col(ShipmentLine.order_line_id))
        .where(col(ShipmentLine.shipment_id).in_(shipment_ids))
        .order_by(col(ShipmentLine.shipment_id), col(OrderLine.line_no), col(ShipmentLine.id))
    )
    return [(sid, sku, name, qty) for sid, sku, name, qty in session.exec(stmt).all()]


def event_keys(
    session: Session, *, shipment_id: int, occurred: Sequence[datetime]
) -> set[tuple[datetime, str]]:
    """(occurred_at, status) of the stored events at any of these times."""
    stmt = select(TrackingEvent.occurred_at, TrackingEvent.status).where(
        TrackingEvent.shipment_id == shipment_id,
        col(TrackingEvent.occurred_at).in_(list(occurred)),
    )
    return {(at, status) for at, status in session.exec(stmt).all()}


def newest_event(session: Session, *, shipment_id: int) -> TrackingEvent | None:
    stmt = (
        select(TrackingEvent)
        .where(TrackingEvent.shipment_id == shipment_id)
        .order_by(col(TrackingEvent.occurred_at).desc(), col(TrackingEvent.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def add_events(session: Session, events: Sequence[TrackingEvent]) -> None:
    session.add_all(events)
    session.flush()
