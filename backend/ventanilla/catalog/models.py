from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field


class Product(SQLModel, table=True):
    """One sellable variant, identified by the shop's SKU (a variant of `group_sku` if set)."""

    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    group_sku: str | None = Field(default=None, max_length=64, index=True)
    name: str = Field(max_length=200)
    price_minor: int
    currency: str = Field(max_length=3)
    # VAT rate in basis points (2100 = 21 %); None: the shop has not said, so it cannot be added
    # to an order (a guessed rate would be a wrong invoice).
    tax_rate_bp: int | None = None
    stock_on_hand: int = 0
    returnable: bool = True
    final_sale: bool = False
    # The shop's own labels (`personalised`, `hygiene_sealed`...): return rules match on them and
    # the withdrawal exceptions name them (never inferred from anything else).
    tags: list[str] = Field(
        default_factory=list,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": "[]"},
    )
    image_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()
    stock_updated_at: datetime | None = utc_field()
