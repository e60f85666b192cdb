"""A printable invoice of the shopper's own order (the invoice page's read model)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ventanilla.customers.models import Customer
from ventanilla.invoices import service as invoices_service
from ventanilla.invoices.document import DocumentLine, DocumentTax, document_view
from ventanilla.invoices.exceptions import InvoiceNotFound
from ventanilla.invoices.models import Invoice
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    order: Order
    lines: list[DocumentLine]
    taxes: list[DocumentTax]


def invoice_document(
    session: Session, *, customer: Customer, order: Order, invoice_number: str
) -> InvoiceDocument:
    """One invoice of the customer's order; anyone else's is 404 exactly like a missing one."""
    if order.customer_id != customer.id:
        raise OrderNotFound()
    invoice = invoices_service.invoice_for_customer(
        session, customer_id=customer.id or 0, number=invoice_number
    )
    if invoice.order_id != order.id:  # the customer's, but filed under another of their orders
        raise InvoiceNotFound()
    # The lines and taxes as the PDF copy reads them (invoices.document: one defensive reader).
    document = document_view(invoice, order_number=order.number)
    return InvoiceDocument(invoice=invoice, order=order, lines=document.lines, taxes=document.taxes)
