"""Request and response models of the invoices API.

Amounts are non-negative integers in minor units on invoices and on credit notes alike: a credit
note states how much it credits, and its `kind` says that it is a credit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ventanilla.core.fields import (
    Code,
    Country,
    Currency,
    Flag,
    MinorAmount,
    StrictModel,
    UTCDate,
)

SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"
# Addresses may span lines; other control characters are refused (PostgreSQL rejects NUL).
MULTI_LINE = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f]*$"
CENT = Decimal("0.01")


def _line(max_length: int) -> Any:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=SINGLE_LINE
    )


def _two_places(value: Decimal) -> Decimal:
    # "21", 21 and "21.00" are the same rate, so they must hash the same.
    return value.quantize(CENT)


Name = Annotated[str, _line(200)]
TaxId = Annotated[str, _line(32)]
Address = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=MULTI_LINE),
]
Description = Annotated[str, _line(500)]
Minor = MinorAmount
Rate = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2, description='Percent, e.g. 21 or "10.5"'),
    AfterValidator(_two_places),
]
Series = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,20}$"),
    Field(description="The invoice series, if the shop numbers in series (e.g. F2026)"),
]

INVOICE_EXAMPLE: dict[str, Any] = {
    "order_number": "LP-1001",
    "kind": "invoice",
    "issue_date": "2026-11-20",
    "currency": "EUR",
    "seller": {
        "name": "Juguetería La Peonza S.L.",
        "tax_id": "B12345678",
        "address": "Calle del Juego 7, 28004 Madrid",
    },
    "buyer": {"name": "Lucía García", "address": "Calle Mayor 3, 28013 Madrid"},
    "lines": [
        {
            "description": "Tren de madera con 20 vías",
            "quantity": 1,
            "unit_price_minor": 4995,
            "tax_rate": "21",
            "net_minor": 4128,
            "tax_minor": 867,
            "total_minor": 4995,
        }
    ],
    "tax_breakdown": [{"rate": "21", "base_minor": 4128, "tax_minor": 867}],
    "totals": {"net_minor": 4128, "tax_minor": 867, "total_minor": 4995},
}


class SellerCreate(StrictModel):
    name: Name
    tax_id: TaxId
    address: Address | None = None


class BuyerCreate(StrictModel):
    name: Name
    tax_id: TaxId | None = None
    address: Address | None = None


class InvoiceLineCreate(StrictModel):
    description: Description
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    unit_price_minor: Minor
    tax_rate: Rate
    net_minor: Minor
    tax_minor: Minor
    total_minor: Minor = Field(description="net_minor + tax_minor")


class TaxRowCreate(StrictModel):
    rate: Rate
    base_minor: Minor = Field(description="Sum of net_minor of the lines at this rate")
    tax_minor: Minor


class InvoiceTotalsCreate(StrictModel):
    net_minor: Minor
    tax_minor: Minor
    total_minor: Minor = Field(description="net_minor + tax_minor")


class InvoiceCreate(StrictModel):
    """An invoice or credit note exactly as issued; stored once and never changed."""

    model_config = ConfigDict(json_schema_extra={"examples": [INVOICE_EXAMPLE]})

    order_number: Code
    kind: Literal["invoice", "credit_note"]
    corrects_number: Code | None = Field(
        default=None, description="Required on a credit note: the invoice it corrects."
    )
    series: Series | None = Field(
        default=None,
        description="Optional. Names the downloaded PDF `<series>-<number>.pdf` (or "
        "`<number>.pdf` when the number already starts with the series or there is none).",
    )
    simplified: Flag | None = Field(
        default=None,
        description="Optional. true for a simplified invoice (factura simplificada), false for "
        "a full one; decides the suggested credit-note type (R5 or R1) and whether a shopper "
        "may ask for a full invoice in exchange.",
    )
    issue_date: UTCDate
    currency: Currency = Field(description="ISO 4217; must be the order's currency")
    seller: SellerCreate
    buyer: BuyerCreate
    lines: list[InvoiceLineCreate] = Field(min_length=1, max_length=1000)
    tax_breakdown: list[TaxRowCreate] = Field(min_length=1, max_length=20)
    totals: InvoiceTotalsCreate


class InvoiceLineRead(BaseModel):
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate: str = Field(description='Percent with two decimals, e.g. "21.00"')
    net_minor: int
    tax_minor: int
    total_minor: int


class TaxRowRead(BaseModel):
    rate: str
    base_minor: int
    tax_minor: int


class InvoiceTotalsRead(BaseModel):
    net_minor: int
    tax_minor: int
    total_minor: int


class SellerRead(BaseModel):
    name: str
    tax_id: str
    address: str | None


class BuyerRead(BaseModel):
    name: str
    tax_id: str | None
    address: str | None


class InvoicePdfRead(BaseModel):
    """The PDF the shop pushed for an invoice: shoppers download exactly these bytes."""

    number: str
    sha256: str = Field(description="Hex SHA-256 of the stored bytes")
    size: int = Field(description="Bytes")
    stored_at: datetime


class PdfRefusedRead(BaseModel):
    """422 on a PDF push: why nothing was stored."""

    code: str = Field(
        description="sha256_missing | sha256_invalid | sha256_conflict | sha256_mismatch | "
        "not_a_pdf | pdf_encrypted, or validation_error (a malformed parameter; `detail` then "
        "lists the fields)"
    )
    detail: str | list[dict[str, Any]]


class InvoiceRead(BaseModel):
    number: str
    order_number: str
    kind: Literal["invoice", "credit_note"]
    corrects_number: str | None
    series: str | None = None
    simplified: bool | None = None
    issue_date: date
    currency: str
    seller: SellerRead
    buyer: BuyerRead
    lines: list[InvoiceLineRead]
    tax_breakdown: list[TaxRowRead]
    totals: InvoiceTotalsRead
    pdf: InvoicePdfRead | None = Field(
        default=None, description="The pushed PDF; null while shoppers get a rendered copy"
    )
    created_at: datetime


class BillingAddressCreate(StrictModel):
    """The address a full invoice is made out to (the company's or person's fiscal address)."""

    line1: Annotated[str, _line(200)] = Field(description="Street and number")
    line2: Annotated[str, _line(200)] | None = None
    postcode: Annotated[str, _line(20)]
    city: Annotated[str, _line(100)]
    region: Annotated[str, _line(100)] | None = None
    country: Country


class FullInvoiceRequestCreate(StrictModel):
    """What a shopper enters to get a full invoice in exchange for a simplified one."""

    legal_name: Name = Field(description="Company or person, as it must appear on the invoice")
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        description="Spanish NIF, NIE or CIF, or an EU VAT number with its country code"
    )
    address: BillingAddressCreate


class FullInvoiceRequestRead(BaseModel):
    id: int
    invoice_number: str
    status: str
    legal_name: str
    tax_id: str
    tax_id_kind: str
    created_at: datetime
