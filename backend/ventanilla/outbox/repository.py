"""Every query on the outbox, webhook endpoints and the delivery log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from ventanilla.outbox.models import OutboxMessage, WebhookDelivery, WebhookEndpoint


def add(session: Session, *rows: OutboxMessage | WebhookEndpoint | WebhookDelivery) -> None:
    session.add_all(rows)
    session.flush()


def active_endpoints(session: Session) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.disabled_at).is_(None))
        .order_by(col(WebhookEndpoint.id))
    )
    return list(session.exec(stmt).all())


def endpoints(session: Session, *, include_disabled: bool) -> list[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))
    if not include_disabled:
        stmt = stmt.where(col(WebhookEndpoint.disabled_at).is_(None))
    return list(session.exec(stmt).all())


def endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def endpoints_by_id(session: Session, ids: Iterable[int]) -> dict[int, WebhookEndpoint]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.id).in_(wanted))).all()
    return {row.id: row for row in rows if row.id is not None}


def message(session: Session, message_id: str, *, for_update: bool = False) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id, with_for_update=for_update or None)


def claim_due(session: Session, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Due pending messages nobody holds, locked for this transaction.

    Served by the (status, next_attempt_at) index. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
    several workers claim disjoint batches without waiting on each other; SQLite has no row locks
    (the statement renders without the clause) and serialises writers with BEGIN IMMEDIATE.
    """
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            col(OutboxMessage.next_attempt_at) <= now,
            or_(
                col(OutboxMessage.locked_until).is_(None),
                col(OutboxMessage.locked_until) <= now,
            ),
        )
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt).all())


def deliveries(session: Session, *, endpoint_id: int, limit: int) -> list[WebhookDelivery]:
    """The newest attempts first (served by the (endpoint_id, id) index)."""
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def count_deliveries(session: Session, *, endpoint_id: int) -> int:
    stmt = select(func.count()).where(WebhookDelivery.endpoint_id == endpoint_id)
    return int(session.exec(stmt).one())


def messages_for(session: Session, *, endpoint_id: int) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.endpoint_id == endpoint_id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    )
    return list(session.exec(stmt).all())


def requeue_dead(session: Session, *, kind: str | None, now: datetime) -> int:
    """Every dead message (of `kind`, or all) back to pending, due now; returns how many."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    stmt = update(table).where(table.c.status == "dead")
    if kind:
        stmt = stmt.where(table.c.kind == kind)
    result = session.execute(stmt.values(status="pending", next_attempt_at=now, attempts=0))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
