from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field

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
