from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field

# requested -> awaiting_payment -> confirmed | declined | canceled
ACTIVE_STATUSES = ("requested", "awaiting_payment")


class OrderChange(SQLModel, table=True):
    """One self-service change to an order (an address change or an edit of its items)."""

    __tablename__ = "order_changes"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=20)  # address | items
    status: str = Field(default="requested", max_length=20, index=True)
    # Equals order_id while the change is active, NULL after: the unique index allows one active
    # change per order on every database (NULLs never collide).
    active_order_id: int | None = Field(default=None, unique=True)
    base_version: int  # the order version the change was built on
    actor_type: str = Field(max_length=20)
    actor_id: str | None = Field(default=None, max_length=254)
    on_behalf_of: int | None = None
    currency: str = Field(max_length=3)
    old_total_minor: int
    new_total_minor: int
    difference_minor: int  # new - old: > 0 the shopper pays, < 0 the shop refunds
    # none | refund | payment | waived | shop_to_settle
    settlement: str = Field(default="none", max_length=20)
    new_address: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    preview: dict[str, Any] = json_field()  # lines and totals after the change
    decline_code: str | None = Field(default=None, max_length=60)
    created_at: datetime = created_at_field()
    decided_at: datetime | None = utc_field()


class OrderChangeAction(SQLModel, table=True):
    __tablename__ = "order_change_actions"

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="order_changes.id", index=True)
    action: str = Field(max_length=20)  # remove_line | set_quantity | add_product
    line_no: int | None = None
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    quantity_before: int = 0
    quantity_after: int
    unit_price_minor: int
    tax_rate_bp: int = 0
