"""Request and response models of the shopper's amendment API (/api/v1/me/orders/...)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.changes import amounts
from ventanilla.core.fields import INT32_MAX, Code, StrictModel

if TYPE_CHECKING:
    from ventanilla.changes.models import OrderChange
    from ventanilla.changes.service import ConfirmResult, Preview
    from ventanilla.payments.models import PaymentEntry

# The schema lets any 32-bit quantity through so that the service answers "at most 99 units"
# (or "cannot be negative") in words, with the field's location, like the pages do.
Quantity = Annotated[int, Field(strict=True, ge=-INT32_MAX, le=INT32_MAX)]
LineNo = Annotated[int, Field(strict=True, ge=1, le=INT32_MAX)]
Version = Annotated[
    int,
    Field(
        strict=True,
        ge=1,
        le=INT32_MAX,
        description="The order version the shopper looked at (GET the order); a newer one "
        "means the order changed meanwhile: 409 order_changed",
    ),
]


class SetQuantityCreate(StrictModel):
    action: Literal["set_quantity"]
    line_no: LineNo
    quantity: Quantity = Field(description="New quantity; 0 removes the line")


class RemoveLineCreate(StrictModel):
    action: Literal["remove_line"]
    line_no: LineNo


class AddProductCreate(StrictModel):
    action: Literal["add_product"]
    sku: Code
    quantity: Quantity = 1


ActionCreate = Annotated[
    SetQuantityCreate | RemoveLineCreate | AddProductCreate, Field(discriminator="action")
]


def to_actions(
    items: list[SetQuantityCreate | RemoveLineCreate | AddProductCreate],
) -> list[amounts.Action]:
    result: list[amounts.Action] = []
    for item in items:
        if isinstance(item, AddProductCreate):
            result.append(amounts.AddProduct(sku=item.sku, quantity=item.quantity))
        elif isinstance(item, RemoveLineCreate):
            result.append(amounts.SetQuantity(line_no=item.line_no, quantity=0))
        else:
            result.append(amounts.SetQuantity(line_no=item.line_no, quantity=item.quantity))
    return result


AMENDMENT_EXAMPLE: dict[str, Any] = {
    "version": 3,
    "actions": [
        {"action": "set_quantity", "line_no": 1, "quantity": 1},
        {"action": "remove_line", "line_no": 2},
        {"action": "add_product", "sku": "TREN-MADERA", "quantity": 1},
    ],
}


class AmendmentCreate(StrictModel):
    """Changes to the items of an order, on top of the order version the shopper saw."""

    model_config = ConfigDict(json_schema_extra={"examples": [AMENDMENT_EXAMPLE]})

    version: Version
    actions: list[ActionCreate] = Field(min_length=1, max_length=100)


class AmendmentConfirmUpdate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 3}]})

    version: Version


class AmendmentCancelUpdate(StrictModel):
    """An empty JSON object: the body only proves the request is JSON (not a cross-site form)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


# --- responses ----------------------------------------------------------------------------------


class FieldProblemRead(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class FieldErrorsRead(BaseModel):
    """422: each problem with where it is (`loc`), an English sentence and a stable `type`."""

    code: str = Field(description="amendment_invalid, or validation_error for a malformed body")
    detail: list[FieldProblemRead]


class PreviewLineRead(BaseModel):
    line_no: int
    sku: str
    name: str
    unit_price_minor: int
    quantity_before: int
    quantity: int = Field(description="After the change; 0 = removed")
    tax_rate_bp: int
    total_minor: int
    state: Literal["unchanged", "changed", "removed", "added"]


class TaxRead(BaseModel):
    rate_bp: int
    tax_minor: int


class AmountsRead(BaseModel):
    subtotal_minor: int
    shipping_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    tax_by_rate: list[TaxRead]


Settlement = Literal["none", "refund", "payment", "waived", "shop_to_settle", "lower_charge"]


class PreviewRead(BaseModel):
    currency: str
    lines: list[PreviewLineRead]
    old: AmountsRead
    new: AmountsRead
    difference_minor: int = Field(description="new - old: > 0 the shopper pays, < 0 refunded")
    settlement: Settlement = Field(
        description="How the difference is settled: refund (to the card), payment (on the "
        "page), waived (below the shop's threshold), shop_to_settle (the shop contacts the "
        "shopper), lower_charge (nothing was captured yet: the amount to charge is lowered, "
        "nothing is refunded), none"
    )

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PreviewRead:
        return cls.model_validate(
            {key: data[key] for key in ("currency", "lines", "old", "new", "difference_minor")}
            | {"settlement": data.get("settlement", "none")}
        )

    @classmethod
    def from_preview(cls, preview: Preview) -> PreviewRead:
        return cls.from_data(preview.as_dict())


class PaymentRead(BaseModel):
    """What a front end needs to take the payment with Stripe.js (confirmCardPayment)."""

    amount_minor: int
    currency: str
    status: str
    js_url: str | None = None
    publishable_key: str | None = None
    client_secret: str | None = None
    return_url: str | None = None


class ChangeRead(BaseModel):
    id: int
    kind: str
    status: Literal["requested", "awaiting_payment", "confirmed", "declined", "canceled"]
    base_version: int
    order_version: int = Field(description="The order's version now")
    currency: str
    old_total_minor: int
    new_total_minor: int
    difference_minor: int
    settlement: Settlement
    decline_code: str | None
    created_at: datetime
    decided_at: datetime | None
    preview: PreviewRead | None
    payment: PaymentRead | None = None
    refund_minor: int | None = Field(
        default=None, description="Amount being refunded to the card, when settled by refund"
    )

    @classmethod
    def build(
        cls,
        change: OrderChange,
        *,
        order_version: int,
        payment: PaymentEntry | None = None,
        checkout: dict[str, Any] | None = None,
        refund: PaymentEntry | None = None,
    ) -> ChangeRead:
        data = change.preview or {}
        assert change.id is not None
        return cls(
            id=change.id,
            kind=change.kind,
            status=change.status,  # type: ignore[arg-type]
            base_version=change.base_version,
            order_version=order_version,
            currency=change.currency,
            old_total_minor=change.old_total_minor,
            new_total_minor=change.new_total_minor,
            difference_minor=change.difference_minor,
            settlement=change.settlement,  # type: ignore[arg-type]
            decline_code=change.decline_code,
            created_at=change.created_at,
            decided_at=change.decided_at,
            preview=PreviewRead.from_data(data) if data.get("lines") is not None else None,
            payment=(
                PaymentRead(
                    amount_minor=payment.amount_minor,
                    currency=payment.currency,
                    status=payment.status,
                    **(checkout or {}),
                )
                if payment is not None
                else None
            ),
            refund_minor=refund.amount_minor if refund is not None else None,
        )

    @classmethod
    def from_result(
        cls, result: ConfirmResult, *, checkout: dict[str, Any] | None = None
    ) -> ChangeRead:
        return cls.build(
            result.change,
            order_version=result.order.version,
            payment=result.payment,
            checkout=checkout,
            refund=result.refund,
        )
