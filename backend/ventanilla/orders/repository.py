"""Every query on orders; shopper access starts from `customer_orders` (scoped by customer)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from ventanilla.core.fields import storable
from ventanilla.orders.models import Order, OrderAddress, OrderLine


def get_by_number(session: Session, number: str, *, for_update: bool = False) -> Order | None:
    if not storable(number):
        return None  # PostgreSQL refuses NUL in text: no such order, rather than a 500
    stmt = select(Order).where(Order.number == number)
    if for_update:
        # populate_existing: an Order this session loaded before the lock (a route's OwnedOrder)
        # must show the row as it is now, not as it was then.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


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
