"""Every query on the money ledger and on Stripe events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.orders.models import Order
from ventanilla.payments.models import PaymentEntry, StripeEvent


def insert(session: Session, row: PaymentEntry | StripeEvent) -> bool:
    """Insert in a savepoint; False when the key (idempotency key, event id) already exists."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def save(session: Session, *rows: PaymentEntry | StripeEvent) -> None:
    session.add_all(rows)
    session.flush()


def get(session: Session, entry_id: int, *, for_update: bool = False) -> PaymentEntry | None:
    stmt = select(PaymentEntry).where(PaymentEntry.id == entry_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def by_key(session: Session, key: str, *, for_update: bool = False) -> PaymentEntry | None:
    stmt = select(PaymentEntry).where(PaymentEntry.idempotency_key == key)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def charge_by_intent(
    session: Session, intent_id: str, *, for_update: bool = False
) -> PaymentEntry | None:
    stmt = select(PaymentEntry).where(
        PaymentEntry.kind == "charge", PaymentEntry.provider_id == intent_id
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def for_order(session: Session, order_id: int) -> list[PaymentEntry]:
    stmt = (
        select(PaymentEntry)
        .where(PaymentEntry.order_id == order_id)
        .order_by(col(PaymentEntry.created_at), col(PaymentEntry.id))
    )
    return list(session.exec(stmt).all())


def refunds_total(
    session: Session, *, order_id: int, statuses: Iterable[str], exclude_charge_refunds: bool
) -> int:
    """Sum of refund rows of an order in these statuses (optionally only the order's payment)."""
    stmt = select(func.coalesce(func.sum(PaymentEntry.amount_minor), 0)).where(
        PaymentEntry.order_id == order_id,
        PaymentEntry.kind == "refund",
        col(PaymentEntry.status).in_(list(statuses)),
    )
    if exclude_charge_refunds:
        stmt = stmt.where(col(PaymentEntry.idempotency_key).not_like("refund:charge:%"))
    return int(session.exec(stmt).one())


def claim_due_refunds(
    session: Session, *, now: datetime, limit: int, entry_id: int | None = None
) -> list[PaymentEntry]:
    """Due pending refunds nobody holds, locked for this transaction.

    `next_attempt_at` doubles as the lease: the claimer moves it past the time its calls can
    take, so nobody else finds the row due meanwhile. On PostgreSQL `FOR UPDATE SKIP LOCKED`
    lets concurrent claimers pass over a row being claimed; SQLite serialises writers.
    """
    stmt = (
        select(PaymentEntry)
        .where(
            PaymentEntry.kind == "refund",
            PaymentEntry.status == "pending",
            col(PaymentEntry.next_attempt_at) <= now,
        )
        .order_by(col(PaymentEntry.next_attempt_at), col(PaymentEntry.id))
        .limit(limit)
    )
    if entry_id is not None:
        stmt = stmt.where(PaymentEntry.id == entry_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt).all())


def order(session: Session, order_id: int, *, for_update: bool = False) -> Order | None:
    stmt = select(Order).where(Order.id == order_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def event(session: Session, event_id: str) -> StripeEvent | None:
    return session.get(StripeEvent, event_id)
