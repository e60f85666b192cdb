"""The append-only activity log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ventanilla.activity import repository
from ventanilla.activity.models import Activity
from ventanilla.core import clock
from ventanilla.core.actors import Actor


def record(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    order_id: int | None = None,
    customer_id: int | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Activity:
    """Append one entry; nothing ever updates or deletes one."""
    entry = Activity(
        order_id=order_id,
        customer_id=customer_id,
        actor_type=actor.type,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        kind=kind,
        occurred_at=occurred_at or clock.now(),
        data=data or {},
    )
    repository.add(session, entry)
    return entry


def for_order(session: Session, *, order_id: int) -> list[Activity]:
    return repository.for_order(session, order_id)
