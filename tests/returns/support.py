"""Delivered orders with parcels and tracking events, and the shop's policy for the tests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from tests.factories import make_customer, make_order, make_product
from ventanilla.config import Settings, use_settings
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders.models import Order, OrderLine
from ventanilla.outbox.models import OutboxMessage
from ventanilla.returns.models import ReturnCase
from ventanilla.shipping.models import Shipment, TrackingEvent

MADRID = ZoneInfo("Europe/Madrid")


def madrid(year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0):  # type: ignore[no-untyped-def]
    return datetime(year, month, day, hour, minute, second, tzinfo=MADRID)


def delivered_order(
    session: Session,
    *,
    delivered: list[datetime | None],
    prices: tuple[int, ...] = (3000, 2000),
    quantities: tuple[int, ...] | None = None,
    shipping_minor: int = 0,
    discount_minor: int = 0,
    tags: tuple[tuple[str, ...], ...] | None = None,
    status: str = "delivered",
    status_at: datetime | None = None,
    payment_reference: str | None = None,
) -> Order:
    """An order with one parcel per entry of `delivered` (None: no delivery event), each
    shipped two days before; lines at `prices` (units `quantities`), discount shared."""
    customer = make_customer(session)
    products = [
        make_product(session, price_minor=p, tags=list(tags[i]) if tags else [])
        for i, p in enumerate(prices)
    ]
    first = min((d for d in delivered if d is not None), default=madrid(2026, 3, 1))
    order = make_order(
        session,
        customer=customer,
        lines=products,
        status=status,
        placed_at=first.replace(day=1),
        payment_reference=payment_reference,
    )
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)))
    quantities = quantities or tuple(1 for _ in prices)
    from ventanilla.orders import discounts

    totals = [line.unit_price_minor * q for line, q in zip(lines, quantities, strict=True)]
    shares = discounts.allocate(discount_minor, totals)
    for line, q, total, share in zip(lines, quantities, totals, shares, strict=True):
        line.quantity, line.total_minor, line.discount_minor = q, total, share
        session.add(line)
    subtotal = sum(totals)
    order.subtotal_minor, order.shipping_minor, order.discount_minor = (
        subtotal,
        shipping_minor,
        discount_minor,
    )
    order.total_minor = subtotal + shipping_minor - discount_minor
    order.status_at = status_at or max((d for d in delivered if d), default=first)
    session.add(order)
    for i, when in enumerate(delivered):
        shipped = (when or first).replace(hour=8) if when else first
        parcel = Shipment(
            order_id=order.id or 0,
            carrier="Correos",
            tracking_number=f"PK{order.id}{i}",
            shipped_at=shipped,
            status="delivered" if when else "in_transit",
        )
        session.add(parcel)
        session.flush()
        if when is not None:
            session.add(
                TrackingEvent(shipment_id=parcel.id or 0, occurred_at=when, status="delivered")
            )
    session.commit()
    return order


def customer_of(order: Order) -> Customer:
    with session_scope(write=False) as s:
        customer = s.get(Customer, order.customer_id)
        assert customer is not None
        return customer


def actor_for(customer: Customer) -> Actor:
    return Actor.customer(customer.id or 0, locale="en")


def cases(order: Order) -> list[ReturnCase]:
    with session_scope(write=False) as s:
        return list(s.exec(select(ReturnCase).where(ReturnCase.order_id == order.id)))


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    with session_scope(write=False) as s:
        rows = list(s.exec(select(OutboxMessage)))
    return [m for m in rows if kind is None or m.kind == kind]


def with_policy(settings: Settings, tmp_path: Path, **policy: Any) -> Settings:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    changed = settings.model_copy(update={"policy_file": path})
    use_settings(changed)
    return changed
