"""Request and response models for products and stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ventanilla.core.fields import (
    Code,
    Count,
    Currency,
    Flag,
    MinorAmount,
    StrictModel,
    TaxRate,
    UTCDatetime,
    WebUrl,
    percent,
)

WriteResult = Literal["created", "updated", "unchanged"]
StockResult = Literal["updated", "unchanged", "stale"]
MAX_STOCK_ITEMS = 1000


class ProductCreate(StrictModel):
    """The whole product as the shop knows it; fields left out take their defaults."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Camiseta azul, talla M",
                    "price_minor": 1999,
                    "currency": "EUR",
                    "tax_rate": "21",
                    "stock_on_hand": 12,
                    "returnable": True,
                    "final_sale": False,
                    "image_url": "https://tienda.example/img/cami-azul-m.jpg",
                    "group_sku": "CAMI-AZUL",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    price_minor: MinorAmount = Field(description="Unit price, tax included, in minor units")
    currency: Currency
    tax_rate: TaxRate | None = Field(
        default=None,
        description='VAT rate in percent, the same forms as order lines: 21, "10.5". A product '
        "without one cannot be added to an order by a shopper.",
    )
    stock_on_hand: Count = 0
    returnable: Flag = True
    final_sale: Flag = Field(default=False, description="Final sale: never returnable")
    tags: list[Code] = Field(
        default_factory=list,
        max_length=20,
        description="The shop's labels; return rules match on them and the policy's "
        "`withdrawal_exception_tags` name the products exempt from withdrawal (docs/returns.md)",
    )
    image_url: WebUrl | None = None
    group_sku: Code | None = Field(
        default=None, description="The product this variant belongs to (e.g. all sizes)"
    )


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    group_sku: str | None
    name: str
    price_minor: int
    currency: str
    tax_rate: Decimal | None = Field(description="Percent; null when the shop gave none")
    tax_rate_bp: int | None = Field(description="Basis points: 2100 = 21 %")
    stock_on_hand: int
    returnable: bool
    final_sale: bool
    tags: list[str] = []
    image_url: str | None
    created_at: datetime
    updated_at: datetime | None
    stock_updated_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _rate_in_percent(cls, data: Any) -> Any:
        """A stored product (tax_rate_bp) read with its rate in percent too."""
        if isinstance(data, dict) or not hasattr(data, "tax_rate_bp"):
            return data
        bp = data.tax_rate_bp
        fields = {name: getattr(data, name) for name in cls.model_fields if hasattr(data, name)}
        return {**fields, "tax_rate_bp": bp, "tax_rate": percent(bp) if bp is not None else None}


class ProductWriteRead(ProductRead):
    result: WriteResult = Field(description="What the push did: created, updated or unchanged")


class StockLevelUpdate(StrictModel):
    sku: Code
    stock_on_hand: Count
    at: UTCDatetime | None = Field(
        default=None,
        description="When the stock was counted (default: now). Older counts never overwrite "
        "newer ones.",
    )


class StockUpdate(StrictModel):
    """Bulk stock levels. All or nothing: one unknown SKU and nothing is applied."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"sku": "CAMI-AZUL-M", "stock_on_hand": 7},
                        {"sku": "CAMI-AZUL-L", "stock_on_hand": 0, "at": "2025-03-01T09:00:00Z"},
                    ]
                }
            ]
        }
    )

    items: list[StockLevelUpdate] = Field(min_length=1, max_length=MAX_STOCK_ITEMS)


class StockItemRead(BaseModel):
    sku: str
    stock_on_hand: int = Field(description="The stock level now stored")
    result: StockResult


class StockUpdateRead(BaseModel):
    updated: int
    unchanged: int
    stale: int
    items: list[StockItemRead]
