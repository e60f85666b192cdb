"""Request/response models of the shopper's address API and access codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.core.fields import INT32_MAX, StrictModel
from ventanilla.orders.addresses import EXAMPLE_ADDRESS, AddressRead, AddressUpdate


class OrderAddressUpdate(StrictModel):
    """The new delivery address and the order version it was built on."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 3, "address": EXAMPLE_ADDRESS}]}
    )

    version: int = Field(
        ge=1, le=INT32_MAX, description="The order version you read (GET .../address)"
    )
    address: AddressUpdate


class OrderAddressRead(BaseModel):
    """The current delivery address and whether it can be changed now (and why not)."""

    number: str
    version: int
    address: AddressRead | None
    can_change: bool
    reason_code: str | None = Field(description="Why not, as a stable code")
    reason: str | None = Field(description="Why not, in English")
    verified: bool = Field(
        description="The session has recent proof of access to the order's email; if false, "
        "a change answers 403 verification_required until a code is verified."
    )


class AddressChangeRead(BaseModel):
    number: str
    version: int = Field(description="The order version after the change")
    changed: bool = Field(description="False when the address was already this one")
    address: AddressRead


class AccessCodeCreate(StrictModel):
    """Ask for a one-time code (an empty JSON object)."""


class AccessCodeRead(BaseModel):
    sent_to: str = Field(
        description="The order's email address, masked", examples=["l***@example.com"]
    )
    expires_at: datetime


class AccessCodeVerificationCreate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "123456"}]})

    code: str = Field(max_length=20, description="The 6-digit code from the email")


class AccessCodeVerificationRead(BaseModel):
    verified_until: datetime


class AccessCodeRefused(BaseModel):
    code: str = Field(
        description="code_format | code_missing | code_expired | code_invalid | "
        "code_attempts_exhausted (or validation_error for a malformed body)"
    )
    detail: str | list[dict[str, Any]]
    attempts_left: int = Field(default=0, description="Tries left for this code")
