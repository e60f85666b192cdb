"""Request and response models of the returns API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ventanilla.core.fields import INT32_MAX, StrictModel
from ventanilla.returns.models import ReturnCase, ReturnLine


class ReturnLineRead(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    paid_minor: int = Field(description="What was paid for these units (discount allocation)")
    fee_minor: int
    refund_minor: int
    rule_id: str | None
    resolution: str


class ReturnRead(BaseModel):
    rma: str
    kind: str = Field(description="withdrawal (the law) or return (the shop's policy)")
    status: str = Field(description="requested, received, refunded or declined")
    order_number: str
    currency: str
    refund_minor: int = Field(description="What the shopper was shown: lines + shipping - fees")
    shipping_refund_minor: int
    fee_minor: int
    adjustment_minor: int
    adjustment_reason: str | None
    settlement: str = Field(description="none, ledger (Stripe refund) or shop_to_settle")
    review: bool
    contact_name: str
    contact_email: str
    reason_code: str | None
    note: str | None
    decline_reason: str | None
    decision: dict[str, Any] = Field(description="Rule ids, inputs, amounts and deadlines shown")
    send_by_at: datetime | None
    refund_due_at: datetime | None
    created_at: datetime
    updated_at: datetime | None
    received_at: datetime | None
    refunded_at: datetime | None
    lines: list[ReturnLineRead]

    @classmethod
    def of(cls, case: ReturnCase, lines: list[ReturnLine], order_number: str) -> ReturnRead:
        data = case.model_dump()
        data["lines"] = [ReturnLineRead.model_validate(x.model_dump()) for x in lines]
        return cls.model_validate({**data, "order_number": order_number})


class ReturnList(BaseModel):
    data: list[ReturnRead]
    count: int
    next_after_id: int | None = Field(description="Pass as after_id for the next page")


class ReturnReceived(StrictModel):
    adjustment_minor: int = Field(
        default=0,
        ge=-INT32_MAX,
        le=0,
        description="Inspection adjustment (<= 0) off the refund shown; needs a reason",
    )
    adjustment_reason: str | None = Field(default=None, max_length=500)


class ReturnDecline(StrictModel):
    reason: str = Field(min_length=1, max_length=500, description="Shown to the shopper")


class SelectedLine(StrictModel):
    line_no: int = Field(strict=True, ge=1, le=INT32_MAX)
    quantity: int = Field(strict=True, ge=1, le=INT32_MAX)


class WithdrawalCreate(StrictModel):
    lines: list[SelectedLine] = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Where the acknowledgement is sent",
    )


class ReturnCreate(StrictModel):
    lines: list[SelectedLine] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=40, description="A code of the shop's reasons")
    note: str | None = Field(default=None, max_length=1000)


class LineOptionRead(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    available: int = Field(description="Units not in another case")
    ok: bool
    code: str | None = Field(description="Why not, for programs")
    reason: str | None = Field(description="Why not, in the shopper's language")
    rule_id: str | None
    window_ends_at: datetime | None
    fee_percent: int
    resolutions: list[str]
    return_shipping: str
    review: bool


class ReturnOptionsRead(BaseModel):
    kind: str
    ok: bool
    code: str | None
    reason: str | None
    received_at: datetime | None = Field(description="When the last parcel counts as received")
    deadline: datetime | None = Field(description="Withdrawal: the last moment (shop time zone)")
    lines: list[LineOptionRead]
