"""Request and response models of the shopper's cancellation API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.core.fields import INT32_MAX, StrictModel

ReasonCode = Literal[
    "changed_mind", "ordered_by_mistake", "wrong_items", "found_cheaper", "too_slow", "other"
]


class CancellationCreate(StrictModel):
    """Cancel the whole order: the version you read and, optionally, why."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 3, "reason": "ordered_by_mistake"}]}
    )

    version: int = Field(
        ge=1, le=INT32_MAX, description="The order version you read (GET .../cancel)"
    )
    reason: ReasonCode | None = Field(default=None, description="Optional: one of `reasons`")


class CancelReasonRead(BaseModel):
    code: str
    label: str = Field(description="In the shopper's language")


class CancellationRead(BaseModel):
    """The order's cancellation and what happened to the money."""

    number: str
    status: str = Field(description="The order's status: cancelled")
    version: int = Field(description="The order version after the cancellation")
    change_id: int
    cancelled_at: datetime
    reason: str | None
    currency: str
    total_minor: int = Field(description="The order total that was cancelled")
    settlement: str = Field(
        description="refund (refunded through Stripe), released (the card hold was released, "
        "nothing charged), shop_to_settle (the shop refunds by hand), none (nothing was paid)"
    )
    refund_minor: int = Field(description="Refunded through Stripe (made after the answer)")
    released_minor: int = Field(description="Authorised amount released (not charged)")
    shop_settle_minor: int = Field(description="What the shop refunds by hand")
    outcome: Literal["cancelled", "unchanged"] = Field(
        description="unchanged: it was cancelled already (a second submit); nothing was done"
    )


class CancellationOptionsRead(BaseModel):
    """Whether the order can be cancelled now, why not, the reasons to choose from, and what
    would happen to the money."""

    number: str
    version: int
    can_cancel: bool
    reason_code: str | None = Field(description="Why not (the code every route refuses with)")
    reason: str | None = Field(description="Why not, in the shopper's language")
    reasons: list[CancelReasonRead]
    money: Literal["refund", "none"] = Field(
        description="refund: the card payment goes back to the card (refunded, or released "
        "when it was only authorised); none: nothing was charged"
    )
    amount_minor: int
    currency: str
    cancellation: CancellationRead | None = Field(description="Set once it is cancelled here")
