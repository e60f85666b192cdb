from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field


class Invoice(SQLModel, table=True):
    """Immutable once stored; corrections are credit notes (kind='credit_note')."""

    __tablename__ = "invoices"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True, index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(default="invoice", max_length=20)
    corrects_number: str | None = Field(default=None, max_length=64)
    # As the shop states them (RD 1619/2012 art. 6.1.a: number and, where used, series).
    series: str | None = Field(default=None, max_length=20)
    simplified: bool | None = None  # factura simplificada; None when the shop did not say
    issue_date: date
    currency: str = Field(max_length=3)
    seller_name: str = Field(max_length=200)
    seller_tax_id: str = Field(max_length=32)
    seller_address: str | None = Field(default=None, max_length=500)
    buyer_name: str = Field(max_length=200)
    buyer_tax_id: str | None = Field(default=None, max_length=32)
    buyer_address: str | None = Field(default=None, max_length=500)
    lines: list[dict[str, Any]] = json_field(list)
    tax_breakdown: list[dict[str, Any]] = json_field(list)
    net_minor: int
    tax_minor: int
    total_minor: int
    content_hash: str = Field(max_length=64)
    # The PDF the shop pushed (PUT .../pdf): where its bytes are and their SHA-256, set once.
    pdf_key: str | None = Field(default=None, max_length=200)
    pdf_sha256: str | None = Field(default=None, max_length=64)
    pdf_size: int | None = None
    pdf_stored_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class FullInvoiceRequest(SQLModel, table=True):
    """A shopper's request for a full invoice in exchange for a simplified one (canje)."""

    __tablename__ = "full_invoice_requests"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    # Equals invoice_id while the request is open, NULL after: the unique index allows one open
    # request per invoice on every database (NULLs never collide), like order_changes.
    open_invoice_id: int | None = Field(default=None, unique=True)
    status: str = Field(default="open", max_length=20)  # open | fulfilled | cancelled
    legal_name: str = Field(max_length=200)
    tax_id: str = Field(max_length=32)  # compact: no spaces or dashes, upper case
    tax_id_kind: str = Field(max_length=10)  # dni | nie | cif | eu_vat
    tax_id_country: str = Field(max_length=2)
    address_line1: str = Field(max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    postcode: str = Field(max_length=20)
    city: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=100)
    country: str = Field(max_length=2)
    actor_type: str = Field(max_length=20)
    actor_id: str | None = Field(default=None, max_length=254)
    on_behalf_of: int | None = None
    full_invoice_number: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    closed_at: datetime | None = utc_field()


class CreditNoteRequest(SQLModel, table=True):
    """What Ventanilla asked the shop to credit (`credit_note.requested`); one per key."""

    __tablename__ = "credit_note_requests"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="requested", max_length=20)  # requested | issued
    reason: str = Field(max_length=40)
    suggested_type: str = Field(max_length=2)  # R1 (full invoice) | R5 (simplified)
    currency: str = Field(max_length=3)
    lines: list[dict[str, Any]] = json_field(list)
    amounts_by_rate: list[dict[str, Any]] = json_field(list)
    refund_ids: list[str] = json_field(list)
    net_minor: int
    tax_minor: int
    total_minor: int
    content_hash: str = Field(max_length=64)
    credit_note_number: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    issued_at: datetime | None = utc_field()
