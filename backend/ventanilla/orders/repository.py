"""Every query on orders; shopper access starts from `customer_orders` (scoped by customer)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from ventanilla.catalog.models import Product
from ventanilla.core.fields import storable
from ventanilla.orders.exceptions import ChangeInProgress
from ventanilla.orders.models import (
    ACTIVE_STATUSES,
    Order,
    OrderAddress,
    OrderChange,
    OrderChangeAction,
    OrderLine,
)


def get_by_number(session: Session, number: str, *, for_update: bool = False) -> Order | None:
    if not storable(number):
        return None  # PostgreSQL refuses NUL in text: no such order, rather than a 500
    stmt = select(Order).where(Order.number == number)
    if for_update:
        # populate_existing: an Order this session loaded before the lock (a route's OwnedOrder)
        # must show the row as it is now, not as it was then.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def find_by_typed_number(session: Session, typed: str) -> Order | None:
    """The order a shopper means by `typed` (already `core.typed.order_number`): the exact number,
    else the one number that differs from it only in letter case (all upper or all lower). When
    the shop's numbers differ by case alone (`ab1` and `AB1`), nothing but the exact one is found.
    Indexed lookups only (no `lower(number)` scan)."""
    exact = get_by_number(session, typed)
    if exact is not None or not storable(typed):
        return exact
    variants = {typed.upper(), typed.lower()} - {typed}
    if not variants:
        return None
    rows = session.exec(select(Order).where(col(Order.number).in_(variants)).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def customer_orders(customer_id: int) -> SelectOfScalar[Order]:
    """The only statement shopper-facing code may start from."""
    return select(Order).where(Order.customer_id == customer_id)


def get_for_customer(session: Session, *, customer_id: int, number: str) -> Order | None:
    if not storable(number):
        return None
    return session.exec(customer_orders(customer_id).where(Order.number == number)).first()


def lines(session: Session, order_id: int) -> list[OrderLine]:
    stmt = select(OrderLine).where(OrderLine.order_id == order_id).order_by(col(OrderLine.line_no))
    return list(session.exec(stmt).all())


def addresses(session: Session, order_id: int) -> dict[str, OrderAddress]:
    rows = session.exec(select(OrderAddress).where(OrderAddress.order_id == order_id)).all()
    return {row.kind: row for row in rows}


def insert_order(session: Session, order: Order) -> bool:
    """Insert in a savepoint; False when a concurrent push created the same number first."""
    try:
        with session.begin_nested():
            session.add(order)
    except IntegrityError:
        return False
    return True


def add_all(session: Session, rows: Iterable[OrderLine | OrderAddress]) -> None:
    session.add_all(list(rows))


def delete_all(session: Session, rows: Iterable[OrderLine | OrderAddress]) -> None:
    for row in rows:
        session.delete(row)


def flush(session: Session) -> None:
    session.flush()


def get_by_id(session: Session, order_id: int, *, for_update: bool = False) -> Order | None:
    """An order by id (callbacks that know the id, e.g. a payment webhook); may lock the row."""
    stmt = select(Order).where(Order.id == order_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def lines_with_images(session: Session, order_id: int) -> list[tuple[OrderLine, str | None]]:
    """The order's lines in order, each with its product's image URL (None if there is none)."""
    stmt = (
        select(OrderLine, Product.image_url)
        .join(Product, col(Product.id) == col(OrderLine.product_id), isouter=True)
        .where(OrderLine.order_id == order_id)
        .order_by(col(OrderLine.line_no))
    )
    return [(line, image_url) for line, image_url in session.exec(stmt).all()]


def recent_for_customer(
    session: Session, customer_id: int, *, limit: int, exclude_order_id: int | None = None
) -> list[Order]:
    """The customer's orders, newest first (built on the customer-scoped `customer_orders`)."""
    stmt = customer_orders(customer_id)
    if exclude_order_id is not None:
        stmt = stmt.where(Order.id != exclude_order_id)
    stmt = stmt.order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


# --- change sets (callers reach a change only through an order they already scoped) ---------


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


def set_change_status(session: Session, change: OrderChange, status: str) -> None:
    """Move a change on; leaving the active statuses frees the order for the next change."""
    change.status = status
    change.active_order_id = change.order_id if status in ACTIVE_STATUSES else None
    session.add(change)
    session.flush()


def change_of_order(
    session: Session, *, order_id: int, change_id: int, for_update: bool = False
) -> OrderChange | None:
    stmt = select(OrderChange).where(OrderChange.id == change_id, OrderChange.order_id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def change_by_id(
    session: Session, change_id: int, *, for_update: bool = False
) -> OrderChange | None:
    stmt = select(OrderChange).where(OrderChange.id == change_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def active_change(session: Session, order_id: int) -> OrderChange | None:
    """The order's one open change (requested or awaiting payment), if any."""
    return session.exec(select(OrderChange).where(OrderChange.active_order_id == order_id)).first()


def changes_of_order(session: Session, order_id: int) -> list[OrderChange]:
    stmt = (
        select(OrderChange)
        .where(OrderChange.order_id == order_id)
        .order_by(col(OrderChange.created_at), col(OrderChange.id))
    )
    return list(session.exec(stmt).all())


def total_before_changes(session: Session, order: Order) -> int:
    """What the order totalled before its first self-service change (what was paid for it)."""
    assert order.id is not None
    first = session.exec(
        select(OrderChange.old_total_minor)
        .where(OrderChange.order_id == order.id)
        .order_by(col(OrderChange.created_at), col(OrderChange.id))
        .limit(1)
    ).first()
    return int(first) if first is not None else order.total_minor


def change_actions(session: Session, change_id: int) -> list[OrderChangeAction]:
    stmt = (
        select(OrderChangeAction)
        .where(OrderChangeAction.change_id == change_id)
        .order_by(col(OrderChangeAction.id))
    )
    return list(session.exec(stmt).all())


def transition_change(
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


def numbers_by_ids(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Order numbers by order id, in one query."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Order.id, Order.number).where(col(Order.id).in_(wanted)))
    return {order_id: number for order_id, number in rows if order_id is not None}
