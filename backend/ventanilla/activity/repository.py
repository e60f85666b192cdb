from __future__ import annotations

from sqlmodel import Session, col, select

from ventanilla.activity.models import Activity


def add(session: Session, entry: Activity) -> None:
    session.add(entry)
    session.flush()


def for_order(session: Session, order_id: int) -> list[Activity]:
    stmt = (
        select(Activity)
        .where(Activity.order_id == order_id)
        .order_by(col(Activity.occurred_at), col(Activity.id))
    )
    return list(session.exec(stmt).all())
