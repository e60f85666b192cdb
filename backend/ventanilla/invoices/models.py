from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field


class Invoice(SQLModel, table=True):
    """Immutable once stored; corrections are credit notes (kind='credit_note')."""

    __tablename__ = "invoices"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True, index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(default="invoice", max_length=20)
    corrects_number: str | None = Field(default=None, max_length=64)
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
    created_at: datetime = created_at_field()
