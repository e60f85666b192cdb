"""The shopper's JSON API for the delivery address and access codes (session cookie auth).

The same service functions as the pages. Only JSON bodies are accepted (FastAPI refuses other
content types with 422), which is what makes these cookie-authenticated writes safe from CSRF
together with the SameSite=Lax cookie.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from ventanilla.access import service as access_service
from ventanilla.access.deps import CurrentCustomer, CurrentShopperSession, OwnedOrder, ShopperActor
from ventanilla.addresses import service
from ventanilla.addresses.schemas import (
    AccessCodeCreate,
    AccessCodeRead,
    AccessCodeRefused,
    AccessCodeVerificationCreate,
    AccessCodeVerificationRead,
    AddressChangeRead,
    OrderAddressRead,
    OrderAddressUpdate,
)
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse
from ventanilla.orders.addresses import AddressRead

router = APIRouter(tags=["shopper"])
POSITION = 70

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such order for this shopper"},
}
CODE_REFUSALS = {
    "code_format": "The code is the 6 digits from the email.",
    "code_missing": "No code is waiting to be checked: ask for a new one.",
    "code_expired": "The code has expired: ask for a new one.",
    "code_invalid": "The code is not right.",
    "code_attempts_exhausted": "Too many wrong tries for this code: ask for a new one.",
}


@router.get("/me/orders/{number}/address", response_model=OrderAddressRead, responses=NOT_FOUND)
def read_delivery_address(
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
) -> OrderAddressRead:
    """The order's delivery address, its version, and whether it can be changed now."""
    form = service.address_form(session, customer=customer, order=order, shopper_session=record)
    decision = form.decision
    return OrderAddressRead(
        number=form.number,
        version=form.version,
        address=AddressRead.of(form.address),
        can_change=decision.ok,
        reason_code=decision.reason_code,
        reason=None if decision.ok else decision.text(),
        verified=form.proof is not None,
    )


@router.put(
    "/me/orders/{number}/address",
    response_model=AddressChangeRead,
    responses={
        **NOT_FOUND,
        403: {
            "model": ErrorResponse,
            "description": "verification_required: verify an emailed code first",
        },
        409: {
            "model": ErrorResponse,
            "description": "The policy's reason as the code (packing_started, already_shipped, "
            "cancelled, edit_window_closed...), order_changed (send the current version), "
            "change_in_progress",
        },
    },
)
def change_delivery_address(
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
    actor: ShopperActor,
    body: OrderAddressUpdate,
) -> AddressChangeRead:
    """Change the delivery address; the same address again changes nothing (changed=false)."""
    result = service.change_delivery_address(
        session,
        actor=actor,
        shopper_session=record,
        customer=customer,
        number=order.number,
        version=body.version,
        data=body.address.model_dump(),
    )
    return AddressChangeRead(
        number=result.number,
        version=result.version,
        changed=result.changed,
        address=AddressRead(**result.address.as_dict()),
    )


@router.post(
    "/me/access-codes",
    status_code=201,
    response_model=AccessCodeRead,
    responses={
        409: {"model": ErrorResponse, "description": "code_not_needed (an agent session)"},
        429: {"model": ErrorResponse, "description": "Too many codes asked for"},
    },
)
def request_access_code(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    record: CurrentShopperSession,
    body: Annotated[AccessCodeCreate | None, Body()] = None,
) -> AccessCodeRead:
    """Email a 6-digit code (valid 10 minutes) to the customer's address."""
    sent = access_service.send_access_code(
        session, shopper_session=record, customer=customer, locale=request.state.locale
    )
    return AccessCodeRead(sent_to=sent.sent_to, expires_at=sent.expires_at)


@router.post(
    "/me/access-codes/verify",
    response_model=AccessCodeVerificationRead,
    responses={
        422: {"model": AccessCodeRefused, "description": "Wrong, expired or spent code"},
        429: {"model": ErrorResponse, "description": "Too many tries"},
    },
)
def verify_access_code(
    session: SessionDep,
    customer: CurrentCustomer,
    record: CurrentShopperSession,
    body: AccessCodeVerificationCreate,
) -> Response:
    """Check the emailed code; right, and this session may change addresses for 24 hours."""
    check = access_service.verify_access_code(
        session, shopper_session=record, customer=customer, code=body.code
    )
    if not check.ok or check.verified_until is None:
        # A response, not an exception: the wrong try must be committed to count.
        reason = check.reason or "code_invalid"
        refused = AccessCodeRefused(
            code=reason, detail=CODE_REFUSALS[reason], attempts_left=check.attempts_left
        )
        return JSONResponse(refused.model_dump(), status_code=422)
    verified = AccessCodeVerificationRead(verified_until=check.verified_until)
    return JSONResponse(verified.model_dump(mode="json"))
