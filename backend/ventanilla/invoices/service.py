"""Invoices and credit notes: stored as the shop issued them, once, and never changed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.invoices import policy, repository
from ventanilla.invoices.exceptions import InvoiceImmutable, InvoiceNotFound
from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import InvoiceCreate
from ventanilla.orders import repository as orders_repository


@dataclass(frozen=True)
class InvoiceResult:
    invoice: Invoice
    order_number: str
    created: bool


def put_invoice(
    session: Session, *, actor: Actor, number: str, data: InvoiceCreate
) -> InvoiceResult:
    """Store an invoice or credit note; the same content again is a no-op, other content a 409."""
    digest = policy.content_hash(data)
    # Locking the order serialises documents of one order, so two credit notes can't both
    # take what is left of an invoice.
    order = orders_repository.get_by_number(session, data.order_number, for_update=True)
    existing = repository.get_by_number(session, number)
    if existing is not None:
        return _unchanged(existing, data.order_number, digest)

    errors: list[tuple[tuple[str | int, ...], str, str]] = []
    if order is None:
        errors.append((("body", "order_number"), "There is no order with this number.", "unknown"))
    elif data.currency != order.currency:
        errors.append(
            (
                ("body", "currency"),
                f"The order is in {order.currency}, not {data.currency}.",
                "currency_mismatch",
            )
        )
    errors += policy.arithmetic_errors(data)
    corrected = (
        repository.get_by_number(session, data.corrects_number) if data.corrects_number else None
    )
    credited = (
        repository.credited_total(session, corrects_number=corrected.number) if corrected else 0
    )
    errors += policy.credit_note_errors(
        data,
        order_id=order.id if order else None,
        corrected=corrected,
        already_credited_minor=credited,
    )
    if errors or order is None or order.id is None:
        raise FieldErrors(errors)

    invoice = _new_invoice(number, order_id=order.id, data=data, digest=digest)
    if not repository.insert(session, invoice):
        # Another request stored this number between our check and our insert.
        raced = repository.get_by_number(session, number)
        if raced is None:
            raise InvoiceImmutable()
        return _unchanged(raced, data.order_number, digest)
    activity.record(
        session,
        actor=actor,
        kind="invoice.issued",
        order_id=order.id,
        customer_id=order.customer_id,
        data={
            "number": number,
            "kind": data.kind,
            "corrects_number": data.corrects_number,
            "total_minor": data.totals.total_minor,
            "currency": data.currency,
        },
    )
    return InvoiceResult(invoice, order.number, created=True)


def get_invoice(session: Session, *, number: str) -> tuple[Invoice, str]:
    """An invoice with its order number."""
    found = repository.get_with_order_number(session, number)
    if found is None:
        raise InvoiceNotFound()
    return found


def invoices_for_order(session: Session, *, order_id: int) -> list[Invoice]:
    """The order's invoices and credit notes by issue date, in one query."""
    return repository.for_order(session, order_id)


def invoice_for_customer(session: Session, *, customer_id: int, number: str) -> Invoice:
    """A shopper's own invoice; anyone else's is not found, exactly like a missing one."""
    invoice = repository.get_for_customer(session, customer_id=customer_id, number=number)
    if invoice is None:
        raise InvoiceNotFound()
    return invoice


def _new_invoice(number: str, *, order_id: int, data: InvoiceCreate, digest: str) -> Invoice:
    return Invoice(
        number=number,
        order_id=order_id,
        kind=data.kind,
        corrects_number=data.corrects_number,
        series=data.series,
        simplified=data.simplified,
        issue_date=data.issue_date,
        currency=data.currency,
        seller_name=data.seller.name,
        seller_tax_id=data.seller.tax_id,
        seller_address=data.seller.address,
        buyer_name=data.buyer.name,
        buyer_tax_id=data.buyer.tax_id,
        buyer_address=data.buyer.address,
        lines=[line.model_dump(mode="json") for line in data.lines],
        tax_breakdown=[row.model_dump(mode="json") for row in data.tax_breakdown],
        net_minor=data.totals.net_minor,
        tax_minor=data.totals.tax_minor,
        total_minor=data.totals.total_minor,
        content_hash=digest,
    )


def _unchanged(existing: Invoice, order_number: str, digest: str) -> InvoiceResult:
    if existing.content_hash != digest:
        raise InvoiceImmutable()
    return InvoiceResult(existing, order_number, created=False)
