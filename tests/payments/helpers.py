"""Helpers shared by the payments tests."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from tests.factories import make_order
from tests.stripe_server import LocalStripe
from ventanilla.activity.models import Activity
from ventanilla.db import session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order, OrderChange
from ventanilla.outbox.models import OutboxMessage
from ventanilla.payments.models import PaymentEntry


@dataclass
class HandlerCalls:
    """What the registered on_charge_* handlers saw: (outcome, ledger id, status then)."""

    calls: list[tuple[str, int, str]] = field(default_factory=list)

    def succeeded(self, session: Session, entry: PaymentEntry) -> None:
        assert entry.id is not None
        self.calls.append(("succeeded", entry.id, entry.status))

    def failed(self, session: Session, entry: PaymentEntry) -> None:
        assert entry.id is not None
        self.calls.append(("failed", entry.id, entry.status))


def paid_order(session: Session, localstripe: LocalStripe, total_minor: int = 5000) -> Order:
    """An order paid through (local)Stripe in full, committed."""
    intent = localstripe.paid_intent(total_minor, "eur")
    order = make_order(
        session,
        lines=1,
        subtotal_minor=total_minor,
        total_minor=total_minor,
        payment_reference=intent,
    )
    session.commit()
    return order


def make_change(
    session: Session, order: Order, *, new_total_minor: int, status: str = "confirmed"
) -> OrderChange:
    """An items change of `order` (committed) for the ledger rows to point at."""
    assert order.id is not None
    change = OrderChange(
        order_id=order.id,
        kind="items",
        status=status,
        base_version=order.version,
        actor_type="customer",
        actor_id=str(order.customer_id),
        currency=order.currency,
        old_total_minor=order.total_minor,
        new_total_minor=new_total_minor,
        difference_minor=new_total_minor - order.total_minor,
        settlement="refund" if new_total_minor < order.total_minor else "payment",
        preview={},
    )
    orders_repository.add_change(session, change)
    session.commit()
    return change


def entry(entry_id: int) -> PaymentEntry:
    """A ledger row read in a fresh transaction."""
    with session_scope(write=False) as session:
        row = session.get(PaymentEntry, entry_id)
        assert row is not None
        return row


def activity_kinds(order_id: int) -> list[str]:
    with session_scope(write=False) as session:
        stmt = select(Activity).where(Activity.order_id == order_id).order_by(col(Activity.id))
        return [a.kind for a in session.exec(stmt).all()]


def emails_to(address: str) -> list[dict[str, Any]]:
    with session_scope(write=False) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
        return [dict(r.payload) for r in rows if r.payload.get("to") == address]


def event_body(event_type: str, obj: dict[str, Any], *, event_id: str = "evt_test_1") -> str:
    """A Stripe event envelope, as Stripe (and localstripe) send it."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2024-06-20",
            "data": {"object": obj},
        }
    )
