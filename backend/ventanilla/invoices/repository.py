"""Every query on invoices; shopper access goes through `get_for_customer` (scoped by customer)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.core.fields import storable
from ventanilla.invoices.models import CreditNoteRequest, FullInvoiceRequest, Invoice
from ventanilla.orders.models import Order


def get_by_number(session: Session, number: str, *, for_update: bool = False) -> Invoice | None:
    if not storable(number):
        return None
    stmt = select(Invoice).where(Invoice.number == number)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


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


def insert(session: Session, row: Invoice | FullInvoiceRequest | CreditNoteRequest) -> bool:
    """Insert in a savepoint; False if a unique key was taken meanwhile (a concurrent request):
    an invoice number, an open full-invoice request, a credit-note idempotency key."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def open_full_invoice_request(session: Session, invoice_id: int) -> FullInvoiceRequest | None:
    stmt = select(FullInvoiceRequest).where(FullInvoiceRequest.open_invoice_id == invoice_id)
    return session.exec(stmt).first()


def credit_note_request_by_key(session: Session, key: str) -> CreditNoteRequest | None:
    stmt = select(CreditNoteRequest).where(CreditNoteRequest.idempotency_key == key)
    return session.exec(stmt).first()


def pending_credit_total(session: Session, *, invoice_id: int) -> int:
    """What credit-note requests still waiting for the shop's credit note ask to credit."""
    stmt = select(func.coalesce(func.sum(CreditNoteRequest.total_minor), 0)).where(
        CreditNoteRequest.invoice_id == invoice_id, CreditNoteRequest.status == "requested"
    )
    return int(session.exec(stmt).one())


def requests_for_order(
    session: Session, order_id: int
) -> tuple[list[tuple[FullInvoiceRequest, str]], list[tuple[CreditNoteRequest, str]]]:
    """The order's full-invoice and credit-note requests with their invoice numbers, oldest
    first (two queries, whatever their number)."""
    full = session.exec(
        select(FullInvoiceRequest, Invoice.number)
        .join(Invoice, col(Invoice.id) == FullInvoiceRequest.invoice_id)
        .where(FullInvoiceRequest.order_id == order_id)
        .order_by(col(FullInvoiceRequest.id))
    ).all()
    credit = session.exec(
        select(CreditNoteRequest, Invoice.number)
        .join(Invoice, col(Invoice.id) == CreditNoteRequest.invoice_id)
        .where(CreditNoteRequest.order_id == order_id)
        .order_by(col(CreditNoteRequest.id))
    ).all()
    return [(r, n) for r, n in full], [(r, n) for r, n in credit]
