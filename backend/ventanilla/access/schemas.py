"""Request/response models of the links API, and the find-my-order form's checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.access import policy
from ventanilla.core import typed
from ventanilla.core.i18n import N_


class LinkCreate(BaseModel):
    """Optional limits for a new link; the shop policy fills in what is left out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ttl_days": 15, "max_uses": 5}]},
    )

    ttl_days: int | None = Field(
        default=None, ge=1, le=30, description="Days until the link expires (policy default 15)."
    )
    max_uses: int | None = Field(
        default=None, ge=1, le=20, description="How many times it can be opened (default 5)."
    )


class LinkRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "http://127.0.0.1:8000/l/eyJ2IjoxLCJvIjoiRVMtMTAwMSJ9.c2ln",
                    "expires_at": "2026-12-08T10:00:00Z",
                }
            ]
        }
    )

    url: str = Field(description="Put this in the email; it opens the order for its customer.")
    expires_at: datetime


MAX_FIELD = 254


@dataclass
class FindForm:
    """What the shopper typed; `errors` maps a field to an English msgid."""

    order_number: str = ""
    email: str = ""
    postcode: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, *, order_number: str, email: str, postcode: str) -> FindForm:
        form = cls(
            policy.normalize_order_number(order_number[: MAX_FIELD * 4])[:MAX_FIELD],
            typed.text(email[: MAX_FIELD * 4])[:MAX_FIELD],
            typed.text(postcode[: MAX_FIELD * 4])[:MAX_FIELD],
        )
        if not form.order_number:
            form.errors["order_number"] = N_("Enter your order number.")
        elif len(form.order_number) > 64:
            form.errors["order_number"] = N_("That order number is too long.")
        if not form.email and not form.postcode:
            form.errors["contact"] = N_("Enter your email address or your delivery postcode.")
        if form.email and not policy.looks_like_email(form.email):
            form.errors["email"] = N_("Enter an email address like name@example.com.")
        if form.postcode and not policy.looks_like_postcode(form.postcode):
            form.errors["postcode"] = N_("Enter a postcode like 28013.")
        return form
