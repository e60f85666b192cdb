"""What one invoice document shows, shaped for `invoices/_document.html` (pure, no database).

The same view feeds the rendered PDF and, through `{% include "invoices/_document.html" %}`,
the shopper's HTML invoice page, so the two cannot drift apart. Labels are English msgids that
the template translates in the active language. Every number on the document is one the shop
pushed: nothing here computes, rounds or invents an amount or a document number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ventanilla.core.i18n import N_
from ventanilla.core.money import percent_text
from ventanilla.invoices.models import Invoice

# The document's type in words (RD 1619/2012: factura, factura simplificada, rectificativa).
KIND_LABELS = {
    "invoice": N_("Invoice"),
    "simplified": N_("Simplified invoice"),
    "credit_note": N_("Credit note"),
}
TITLES = {
    "invoice": N_("Invoice %(number)s"),
    "simplified": N_("Simplified invoice %(number)s"),
    "credit_note": N_("Credit note %(number)s"),
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str | None
    address: str | None

    @property
    def address_lines(self) -> list[str]:
        return [part.strip() for part in (self.address or "").splitlines() if part.strip()]


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int | None
    unit_price_minor: int | None
    tax_rate: Decimal | None  # percent
    net_minor: int | None
    tax_minor: int | None
    total_minor: int | None

    @property
    def tax_rate_text(self) -> str:
        return percent_text(self.tax_rate)


@dataclass(frozen=True)
class DocumentTax:
    rate: Decimal | None  # percent
    base_minor: int | None
    tax_minor: int | None

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)


@dataclass(frozen=True)
class InvoiceDocumentView:
    number: str
    series: str | None
    kind: str  # invoice | simplified | credit_note
    issue_date: date
    order_number: str
    corrects_number: str | None
    currency: str
    seller: Party
    buyer: Party
    lines: list[DocumentLine]
    taxes: list[DocumentTax]
    net_minor: int
    tax_minor: int
    total_minor: int

    @property
    def title(self) -> str:
        """msgid with %(number)s, e.g. "Simplified invoice %(number)s"."""
        return TITLES[self.kind]

    @property
    def type_label(self) -> str:
        return KIND_LABELS[self.kind]


def document_kind(invoice: Invoice) -> str:
    """invoice | simplified | credit_note: simplified only when the shop said so."""
    if invoice.kind == "credit_note":
        return "credit_note"
    return "simplified" if invoice.simplified else "invoice"


def document_view(invoice: Invoice, *, order_number: str) -> InvoiceDocumentView:
    """The document exactly as the shop issued it (stored JSON is read defensively)."""
    return InvoiceDocumentView(
        number=invoice.number,
        series=invoice.series,
        kind=document_kind(invoice),
        issue_date=invoice.issue_date,
        order_number=order_number,
        corrects_number=invoice.corrects_number,
        currency=invoice.currency,
        seller=Party(invoice.seller_name, invoice.seller_tax_id, invoice.seller_address),
        buyer=Party(invoice.buyer_name, invoice.buyer_tax_id, invoice.buyer_address),
        lines=[_line(raw) for raw in invoice.lines if isinstance(raw, dict)],
        taxes=[_tax(raw) for raw in invoice.tax_breakdown if isinstance(raw, dict)],
        net_minor=invoice.net_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
    )


def download_filename(invoice: Invoice) -> str:
    """`<series>-<number>.pdf`, or `<number>.pdf` when there is no series or the number already
    starts with it; only ASCII letters, digits, '.', '_' and '-' (safe in every browser)."""
    number = invoice.number
    series = invoice.series
    stem = number if not series or number.startswith(series) else f"{series}-{number}"
    stem = _UNSAFE_FILENAME.sub("-", stem).strip(".-") or "invoice"
    return f"{stem}.pdf"


def content_disposition(filename: str) -> str:
    """An attachment with a plain ASCII `filename` and its RFC 5987 / 6266 `filename*`."""
    ascii_name = _UNSAFE_FILENAME.sub("-", filename).strip("-") or "document.pdf"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _int(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _percent(raw: dict[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _line(raw: dict[str, Any]) -> DocumentLine:
    return DocumentLine(
        description=str(raw.get("description") or ""),
        quantity=_int(raw, "quantity"),
        unit_price_minor=_int(raw, "unit_price_minor"),
        tax_rate=_percent(raw, "tax_rate"),
        net_minor=_int(raw, "net_minor"),
        tax_minor=_int(raw, "tax_minor"),
        total_minor=_int(raw, "total_minor"),
    )


def _tax(raw: dict[str, Any]) -> DocumentTax:
    return DocumentTax(
        rate=_percent(raw, "rate"),
        base_minor=_int(raw, "base_minor"),
        tax_minor=_int(raw, "tax_minor"),
    )
