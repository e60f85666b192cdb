"""The order aggregate: orders, their lines and addresses, and the change sets made to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field

STATUSES = (
    "placed",
    "paid",
    "processing",
    "packing",
    "packed",
    "shipped",
    "delivered",
    "cancelled",
)


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    status: str = Field(max_length=20, index=True)
    # Bumped on every change to what the warehouse packs or the shopper sees.
    version: int = 1
    currency: str = Field(max_length=3)
    subtotal_minor: int
    shipping_minor: int = 0
    discount_minor: int = 0
    tax_minor: int = 0
    total_minor: int = Field(index=True)
    locale: str | None = Field(default=None, max_length=10)
    payment_reference: str | None = Field(default=None, max_length=255)
    # Set when the order was lowered before its payment was captured: what the shop should
    # capture on `payment_reference` instead of the authorised amount (none was refunded).
    amount_to_capture_minor: int | None = None
    placed_at: datetime = utc_field(nullable=False, index=True)
    # Time of the newest status event applied; older events never overwrite it.
    status_at: datetime = utc_field(nullable=False)
    packing_claimed_at: datetime | None = utc_field()
    content_hash: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    line_no: int
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True)
    sku: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    unit_price_minor: int
    quantity: int
    # VAT rate in basis points (2100 = 21 %), so it stays an integer.
    tax_rate_bp: int = 0
    total_minor: int
    # This line's share of the order-level discount (`orders.discounts.allocate`), so every
    # amendment, return and credit note uses the same figures.
    discount_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OrderAddress(SQLModel, table=True):
    __tablename__ = "order_addresses"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=10)  # shipping | billing
    name: str = Field(max_length=200)
    line1: str = Field(max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postcode: str = Field(max_length=20, index=True)
    city: str = Field(max_length=100, index=True)
    region: str | None = Field(default=None, max_length=100)
    country: str = Field(max_length=2)
    phone: str | None = Field(default=None, max_length=32)


# --- change sets: every self-service change a shopper (or an agent) makes to an order --------

# requested -> awaiting_payment -> confirmed | declined | canceled
ACTIVE_STATUSES = ("requested", "awaiting_payment")


class OrderChange(SQLModel, table=True):
    """One self-service change to an order (an address change or an edit of its items)."""

    __tablename__ = "order_changes"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=20)  # address | items | cancel
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
    # none | refund | payment | waived | shop_to_settle | lower_charge (not captured yet)
    # | released (a cancellation released the uncaptured authorisation)
    settlement: str = Field(default="none", max_length=20)
    # What the shop settles by hand although the rest went through Stripe: the part of the
    # difference Stripe cannot carry in this currency (`payments.currency.to_stripe`).
    shop_settle_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
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
