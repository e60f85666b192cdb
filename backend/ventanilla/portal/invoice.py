"""A printable invoice of the shopper's own order (the invoice page's read model)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from ventanilla.core.money import percent_text
from ventanilla.customers.models import Customer
from ventanilla.invoices import service as invoices_service
from ventanilla.invoices.exceptions import InvoiceNotFound
from ventanilla.invoices.models import Invoice
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order


@dataclass(frozen=True)
class InvoiceLineView:
    description: str
    quantity: int | None
    unit_price_minor: int | None
    tax_rate: Decimal | None  # percent
    net_minor: int | None
    total_minor: int | None

    @property
    def tax_rate_text(self) -> str:
        return percent_text(self.tax_rate)


@dataclass(frozen=True)
class TaxLineView:
    rate: Decimal | None  # percent
    base_minor: int | None
    tax_minor: int | None

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    order: Order
    lines: list[InvoiceLineView]
    taxes: list[TaxLineView]


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
    return InvoiceDocument(
        invoice=invoice,
        order=order,
        lines=[_invoice_line(raw) for raw in invoice.lines if isinstance(raw, dict)],
        taxes=[_tax_line(raw) for raw in invoice.tax_breakdown if isinstance(raw, dict)],
    )


def _int(raw: dict[str, Any], *keys: str) -> int | None:
    """The first integer among `keys` (stored invoice JSON; read defensively)."""
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _percent(raw: dict[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _tax_line(raw: dict[str, Any]) -> TaxLineView:
    return TaxLineView(
        rate=_percent(raw, "rate"),
        base_minor=_int(raw, "base_minor"),
        tax_minor=_int(raw, "tax_minor"),
    )


def _invoice_line(raw: dict[str, Any]) -> InvoiceLineView:
    return InvoiceLineView(
        description=str(raw.get("description") or ""),
        quantity=_int(raw, "quantity"),
        unit_price_minor=_int(raw, "unit_price_minor"),
        tax_rate=_percent(raw, "tax_rate"),
        net_minor=_int(raw, "net_minor"),
        total_minor=_int(raw, "total_minor"),
    )
