"""Request and response models of the invoices API.

Amounts are non-negative integers in minor units on invoices and on credit notes alike: a credit
note states how much it credits, and its `kind` says that it is a credit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ventanilla.core.fields import Code, Currency, MinorAmount, StrictModel

SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"
# Addresses may span lines; other control characters are refused (PostgreSQL rejects NUL).
MULTI_LINE = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f]*$"
CENT = Decimal("0.01")


def _line(max_length: int) -> Any:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=SINGLE_LINE
    )


def _issue_date(value: date) -> date:
    if not date(1970, 1, 1) <= value < date(2100, 1, 1):
        raise ValueError("the date must be between 1970 and 2100")
    return value


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
IssueDate = Annotated[date, AfterValidator(_issue_date)]

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
    issue_date: IssueDate
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


class InvoiceRead(BaseModel):
    number: str
    order_number: str
    kind: Literal["invoice", "credit_note"]
    corrects_number: str | None
    issue_date: date
    currency: str
    seller: SellerRead
    buyer: BuyerRead
    lines: list[InvoiceLineRead]
    tax_breakdown: list[TaxRowRead]
    totals: InvoiceTotalsRead
    created_at: datetime
