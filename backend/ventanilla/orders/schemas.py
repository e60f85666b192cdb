"""Request and response models for the store's order API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.core.fields import (
    INT32_MAX,
    Code,
    Currency,
    LocaleTag,
    MinorAmount,
    StrictModel,
    TaxRate,
    UTCDatetime,
    percent,
)
from ventanilla.customers.schemas import CustomerCreate, CustomerRead
from ventanilla.orders.addresses import AddressCreate, AddressRead

if TYPE_CHECKING:
    from ventanilla.orders.service import OrderView

OrderStatus = Literal[
    "placed", "paid", "processing", "packing", "packed", "shipped", "delivered", "cancelled"
]
# Status events the shop may send; packing only comes from the claim, placed only at creation.
EventStatus = Literal["paid", "processing", "packed", "shipped", "delivered", "cancelled"]
WriteResult = Literal["created", "updated", "unchanged"]
StatusResult = Literal["updated", "unchanged", "stale"]
MAX_LINES = 1000


class OrderLineCreate(StrictModel):
    sku: Code
    name: str = Field(min_length=1, max_length=200)
    unit_price_minor: MinorAmount = Field(description="Unit price, tax included")
    quantity: int = Field(strict=True, ge=1, le=INT32_MAX)
    tax_rate: TaxRate


class OrderTotalsCreate(StrictModel):
    subtotal_minor: MinorAmount = Field(description="Sum of unit_price_minor x quantity")
    shipping_minor: MinorAmount = 0
    discount_minor: MinorAmount = 0
    tax_minor: MinorAmount = Field(default=0, description="Tax included in the total")
    total_minor: MinorAmount = Field(description="subtotal + shipping - discount")


ORDER_EXAMPLE: dict[str, Any] = {
    "customer": {
        "email": "lucia.garcia@example.com",
        "name": "Lucía García",
        "phone": "+34 600 123 456",
        "locale": "es",
    },
    "shipping_address": {
        "name": "Lucía García",
        "line1": "Calle Mayor 1, 3º B",
        "postcode": "28013",
        "city": "Madrid",
        "region": "Madrid",
        "country": "ES",
        "phone": "+34 600 123 456",
    },
    "billing_address": {
        "name": "Lucía García",
        "line1": "Calle Mayor 1, 3º B",
        "postcode": "28013",
        "city": "Madrid",
        "country": "ES",
    },
    "lines": [
        {
            "sku": "CAMI-AZUL-M",
            "name": "Camiseta azul, talla M",
            "unit_price_minor": 1999,
            "quantity": 2,
            "tax_rate": "21",
        },
        {
            "sku": "LIBRO-042",
            "name": "Cuentos para dormir",
            "unit_price_minor": 1500,
            "quantity": 1,
            "tax_rate": "4",
        },
    ],
    "totals": {
        "subtotal_minor": 5498,
        "shipping_minor": 495,
        "discount_minor": 500,
        "tax_minor": 873,
        "total_minor": 5493,
    },
    "currency": "EUR",
    "placed_at": "2025-03-01T10:15:00+01:00",
    "status": "paid",
    "payment_reference": "pi_3PqR8s2eZvKYlo2C1a2b3c4d",
    "locale": "es",
}


class OrderCreate(StrictModel):
    """The whole order as the shop knows it. Unit prices include tax."""

    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_EXAMPLE]})

    customer: CustomerCreate
    shipping_address: AddressCreate
    billing_address: AddressCreate | None = None
    lines: list[OrderLineCreate] = Field(min_length=1, max_length=MAX_LINES)
    totals: OrderTotalsCreate
    currency: Currency
    placed_at: UTCDatetime
    status: OrderStatus = Field(
        default="placed",
        description="A change from the current status follows the same rules as status events",
    )
    payment_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The payment's id at the provider, e.g. a Stripe PaymentIntent (pi_...)",
    )
    locale: LocaleTag | None = None


class OrderStatusUpdate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "shipped", "at": "2025-03-02T16:40:00+01:00", "note": "GLS"}]
        }
    )

    status: EventStatus
    at: UTCDatetime = Field(description="When it happened; older events never overwrite newer")
    note: str | None = Field(default=None, max_length=500)


class OrderLineRead(BaseModel):
    line_no: int
    sku: str
    name: str
    unit_price_minor: int
    quantity: int
    tax_rate: Decimal = Field(description="Percent")
    tax_rate_bp: int = Field(description="Basis points: 2100 = 21 %")
    total_minor: int
    discount_minor: int = Field(
        default=0,
        description="This line's share of the order discount (proportional, cents by largest "
        "remainder); total_minor - discount_minor is what was paid for the line",
    )


class OrderTotalsRead(BaseModel):
    subtotal_minor: int
    shipping_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int


class OrderRead(BaseModel):
    number: str
    status: OrderStatus
    version: int = Field(description="Bumped on every change; 1 when created")
    currency: str
    totals: OrderTotalsRead
    customer: CustomerRead
    lines: list[OrderLineRead]
    shipping_address: AddressRead | None
    billing_address: AddressRead | None
    placed_at: datetime
    status_at: datetime = Field(description="Time of the newest status event applied")
    packing_claimed_at: datetime | None
    payment_reference: str | None
    amount_to_capture_minor: int | None = Field(
        default=None,
        description="Set when the order was lowered before its payment was captured: capture "
        "this on payment_reference instead of the authorised amount (nothing was refunded)",
    )
    locale: str | None

    @classmethod
    def from_view(cls, view: OrderView) -> OrderRead:
        order = view.order
        return cls(
            number=order.number,
            status=order.status,  # type: ignore[arg-type]
            version=order.version,
            currency=order.currency,
            totals=OrderTotalsRead(
                subtotal_minor=order.subtotal_minor,
                shipping_minor=order.shipping_minor,
                discount_minor=order.discount_minor,
                tax_minor=order.tax_minor,
                total_minor=order.total_minor,
            ),
            customer=CustomerRead(
                email=view.customer.email,
                name=view.customer.name,
                phone=view.customer.phone,
                locale=view.customer.locale,
            ),
            lines=[
                OrderLineRead(
                    line_no=line.line_no,
                    sku=line.sku,
                    name=line.name,
                    unit_price_minor=line.unit_price_minor,
                    quantity=line.quantity,
                    tax_rate=percent(line.tax_rate_bp),
                    tax_rate_bp=line.tax_rate_bp,
                    total_minor=line.total_minor,
                    discount_minor=line.discount_minor,
                )
                for line in view.lines
            ],
            shipping_address=_address(view, "shipping"),
            billing_address=_address(view, "billing"),
            placed_at=order.placed_at,
            status_at=order.status_at,
            packing_claimed_at=order.packing_claimed_at,
            payment_reference=order.payment_reference,
            amount_to_capture_minor=order.amount_to_capture_minor,
            locale=order.locale,
        )


class OrderChangeSummaryRead(BaseModel):
    """One self-service change to the order (address, items, or its cancellation) and how its
    money went."""

    id: int
    kind: str = Field(description="address | items | cancel (the whole order, before packing)")
    status: str = Field(
        description="requested | awaiting_payment | confirmed | declined | canceled"
    )
    actor_type: str
    currency: str
    old_total_minor: int
    new_total_minor: int
    difference_minor: int = Field(description="new - old: > 0 the shopper pays, < 0 refunded")
    settlement: str = Field(
        description="none | refund | payment | waived | shop_to_settle | lower_charge | released "
        "(a cancellation released the uncaptured authorisation)"
    )
    shop_settle_minor: int = Field(
        description="Part of the difference the shop settles by hand (what Stripe cannot carry "
        "in this currency); all of it when settlement is shop_to_settle"
    )
    decline_code: str | None
    created_at: datetime
    decided_at: datetime | None


class OrderRequestRead(BaseModel):
    """Something Ventanilla asked the shop for on this order (a full invoice, a credit note)."""

    kind: Literal["full_invoice", "credit_note"]
    id: int
    status: str = Field(
        description="full_invoice: open | fulfilled | cancelled; credit_note: requested | issued"
    )
    invoice_number: str = Field(description="The invoice the request is about")
    total_minor: int | None = Field(description="Amount to credit (credit notes)")
    document_number: str | None = Field(description="The full invoice or credit note issued")
    created_at: datetime
    closed_at: datetime | None


class OrderDetailRead(OrderRead):
    """The order as Ventanilla holds it now, with its changes and the requests made on it."""

    changes: list[OrderChangeSummaryRead]
    requests: list[OrderRequestRead]


class OrderWriteRead(OrderRead):
    result: WriteResult = Field(description="What the push did: created, updated or unchanged")


class OrderStatusRead(OrderRead):
    result: StatusResult = Field(
        description="updated; unchanged (same status again); stale (older than the current "
        "status, recorded but not applied)"
    )


def _address(view: OrderView, kind: str) -> AddressRead | None:
    row = view.addresses.get(kind)
    return AddressRead.model_validate(row) if row is not None else None
