"""Every query on invoices; shopper access goes through `get_for_customer` (scoped by customer)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.core.fields import storable
from ventanilla.invoices.models import Invoice
from ventanilla.orders.models import Order


def get_by_number(session: Session, number: str) -> Invoice | None:
    if not storable(number):
        return None
    return session.exec(select(Invoice).where(Invoice.number == number)).first()


def get_with_order_number(session: Session, number: str) -> tuple[Invoice, str] | None:
    if not storable(number):
        return None
    stmt = (
        select(Invoice, Order.number)
        .join(Order, col(Order.id) == col(Invoice.order_id))
        .where(Invoice.number == number)
    )
    row = session.exec(stmt).first()
    return (row[0], row[1]) if row else None


def for_order(session: Session, order_id: int) -> list[Invoice]:
    stmt = (
        select(Invoice)
        .where(Invoice.order_id == order_id)
        .order_by(col(Invoice.issue_date), col(Invoice.id))
    )
    return list(session.exec(stmt).all())


def get_for_customer(session: Session, *, customer_id: int, number: str) -> Invoice | None:
    """The invoice only if its order belongs to this customer: anyone else gets None."""
    if not storable(number):
        return None
    stmt = (
        select(Invoice)
        .join(Order, col(Order.id) == col(Invoice.order_id))
        .where(Order.customer_id == customer_id, Invoice.number == number)
    )
    return session.exec(stmt).first()


def credited_total(session: Session, *, corrects_number: str) -> int:
    """What credit notes have already credited against this invoice."""
    stmt = select(func.coalesce(func.sum(Invoice.total_minor), 0)).where(
        Invoice.kind == "credit_note", Invoice.corrects_number == corrects_number
    )
    return int(session.exec(stmt).one())


def insert(session: Session, invoice: Invoice) -> bool:
    """Store a new invoice; False if its number was taken meanwhile (a concurrent push)."""
    try:
        with session.begin_nested():
            session.add(invoice)
            session.flush()
    except IntegrityError:
        return False
    return True
