"""Set-up shared by the cancellation tests."""

from __future__ import annotations

from sqlmodel import select

from tests.changes.support import actor_for, customer_of
from ventanilla.cancellations import service
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.payments import service as payments
from ventanilla.payments.models import PaymentEntry


def cancel(
    order: Order,
    *,
    version: int | None = None,
    reason: str | None = None,
    actor: Actor | None = None,
) -> service.CancelResult:
    """Cancel as the order's customer (or `actor`), then make due refunds like the worker."""
    customer = customer_of(order)
    with session_scope() as s:
        result = service.cancel_order(
            s,
            actor=actor or actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version if version is None else version,
            reason=reason,
        )
    payments.execute_refunds()
    return result


def ledger(order: Order) -> list[PaymentEntry]:
    with session_scope(write=False) as s:
        return list(
            s.exec(
                select(PaymentEntry)
                .where(PaymentEntry.order_id == order.id)
                .order_by(PaymentEntry.id)  # type: ignore[arg-type]
            )
        )


def hook_for_cancellations() -> None:
    with session_scope() as s:
        outbox_service.create_endpoint(
            s, actor=Actor.system(), url="http://127.0.0.1:9/hooks", events=["order.cancelled"]
        )
