"""Queries on change sets. Callers reach a change only through an order they already scoped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.changes.exceptions import ChangeInProgress
from ventanilla.changes.models import ACTIVE_STATUSES, OrderChange, OrderChangeAction


def add_change(
    session: Session, change: OrderChange, actions: list[OrderChangeAction] | None = None
) -> OrderChange:
    """Insert a change; the unique active_order_id refuses a second active change per order."""
    if change.status in ACTIVE_STATUSES:
        change.active_order_id = change.order_id
    try:
        with session.begin_nested():
            session.add(change)
            session.flush()
    except IntegrityError as exc:
        raise ChangeInProgress() from exc
    for action in actions or []:
        action.change_id = change.id  # type: ignore[assignment]
        session.add(action)
    session.flush()
    return change


def set_status(session: Session, change: OrderChange, status: str) -> None:
    """Move a change on; leaving the active statuses frees the order for the next change."""
    change.status = status
    change.active_order_id = change.order_id if status in ACTIVE_STATUSES else None
    session.add(change)
    session.flush()


def get_for_order(
    session: Session, *, order_id: int, change_id: int, for_update: bool = False
) -> OrderChange | None:
    stmt = select(OrderChange).where(OrderChange.id == change_id, OrderChange.order_id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def get(session: Session, change_id: int, *, for_update: bool = False) -> OrderChange | None:
    stmt = select(OrderChange).where(OrderChange.id == change_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def active_for_order(session: Session, order_id: int) -> OrderChange | None:
    return session.exec(select(OrderChange).where(OrderChange.active_order_id == order_id)).first()


def for_order(session: Session, order_id: int) -> list[OrderChange]:
    stmt = (
        select(OrderChange)
        .where(OrderChange.order_id == order_id)
        .order_by(col(OrderChange.created_at), col(OrderChange.id))
    )
    return list(session.exec(stmt).all())


def actions(session: Session, change_id: int) -> list[OrderChangeAction]:
    stmt = (
        select(OrderChangeAction)
        .where(OrderChangeAction.change_id == change_id)
        .order_by(col(OrderChangeAction.id))
    )
    return list(session.exec(stmt).all())


def transition(
    session: Session,
    change: OrderChange,
    *,
    from_status: str,
    to_status: str,
    decided_at: datetime | None = None,
) -> bool:
    """Move `change` on only if it is still in `from_status`; True for the one caller who did.

    A conditional UPDATE, so concurrent confirmations of one change cannot both win even
    without the order lock; the loaded object is refreshed either way.
    """
    values: dict[str, object] = {
        "status": to_status,
        "active_order_id": change.order_id if to_status in ACTIVE_STATUSES else None,
    }
    if decided_at is not None:
        values["decided_at"] = decided_at
    stmt = (
        update(OrderChange)
        .where(col(OrderChange.id) == change.id, col(OrderChange.status) == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    won = session.exec(stmt).rowcount == 1
    session.refresh(change)
    return won


def stale_changes(
    session: Session, *, kind: str, status: str, before: datetime, limit: int
) -> list[tuple[int, int]]:
    """(order id, change id) of active changes of `kind` in `status` created before `before`."""
    stmt = (
        select(OrderChange.order_id, OrderChange.id)
        .where(
            OrderChange.kind == kind,
            OrderChange.status == status,
            OrderChange.active_order_id.is_not(None),  # type: ignore[union-attr]
            OrderChange.created_at < before,
        )
        .order_by(col(OrderChange.created_at))
        .limit(limit)
    )
    return [(int(order_id), int(change_id or 0)) for order_id, change_id in session.exec(stmt)]
