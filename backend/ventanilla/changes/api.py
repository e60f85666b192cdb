"""The shopper's amendment API (session cookie), calling the same services as the pages.

Every write takes a JSON body (an empty object where nothing else is needed): a cross-site form
cannot send `application/json`, so with the SameSite=Lax cookie these routes need no CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.changes import service
from ventanilla.changes.exceptions import ChangeNotFound
from ventanilla.changes.schemas import (
    AmendmentCancelUpdate,
    AmendmentConfirmUpdate,
    AmendmentCreate,
    ChangeRead,
    FieldErrorsRead,
    PreviewRead,
    to_actions,
)
from ventanilla.config import get_settings
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import INT32_MAX
from ventanilla.core.handlers import ErrorResponse, error_body
from ventanilla.orders.exceptions import ChangeNotAllowed
from ventanilla.orders.models import Order, OrderChange
from ventanilla.payments import service as payments
from ventanilla.portal.urls import change_url

router = APIRouter(prefix="/me/orders/{number}/amendments", tags=["my orders"])
POSITION = 90

ChangeId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The change's id")]


def _errors(**described: str) -> dict[int | str, dict[str, Any]]:
    codes = {401: "No shopper session (open the link from the order email)"}
    codes[404] = "order_not_found (also for someone else's order), change_not_found"
    codes.update({int(k[1:]): v for k, v in described.items()})
    return {
        status: {"model": FieldErrorsRead if status == 422 else ErrorResponse, "description": text}
        for status, text in codes.items()
    }


REFUSALS = (
    "The policy's reason as the code (packing_started, already_shipped, cancelled, "
    "edit_window_closed...): the shop's cut-off has passed; order_changed: the order moved on "
    "since `version`; change_in_progress: another change is open"
)


def _read(session: SessionDep, change: OrderChange, order: Order) -> ChangeRead:
    entry = service.payment_for(session, change=change)
    checkout = None
    if entry is not None and change.status == "awaiting_payment":
        base = get_settings().base_url.rstrip("/")
        url = f"{base}{change_url(order.number, change.id or 0)}"
        checkout = dict(payments.checkout_context(entry, return_url=url))
    return ChangeRead.build(change, order_version=order.version, payment=entry, checkout=checkout)


@router.post(
    "/preview",
    response_model=PreviewRead,
    responses=_errors(_409=REFUSALS, _422="amendment_invalid: per action, what cannot be done"),
)
def preview_amendment(
    body: AmendmentCreate, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> PreviewRead:
    """The order as it would be after the actions: lines, tax, totals, difference (no writes)."""
    preview = service.preview_amendment(
        session,
        customer=customer,
        order=order,
        version=body.version,
        actions=to_actions(body.actions),
    )
    return PreviewRead.from_preview(preview)


@router.post(
    "",
    status_code=201,
    response_model=ChangeRead,
    responses=_errors(_409=REFUSALS, _422="amendment_invalid: per action, what cannot be done"),
)
def request_amendment(
    body: AmendmentCreate,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> ChangeRead:
    """Record an amendment to confirm (extra stock is held for it); nothing changes in the order."""
    change = service.request_amendment(
        session,
        actor=actor,
        customer=customer,
        number=order.number,
        version=body.version,
        actions=to_actions(body.actions),
    )
    return ChangeRead.build(change, order_version=order.version)


@router.get("/{change_id:int}", response_model=ChangeRead, responses=_errors())
def get_amendment(
    change_id: ChangeId, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> ChangeRead:
    """One amendment and its state (with what Stripe.js needs while the payment is open)."""
    change = service.get_change(session, customer=customer, order=order, change_id=change_id)
    if change.kind != service.KIND:
        raise ChangeNotFound()
    return _read(session, change, order)


@router.post(
    "/{change_id:int}/confirm",
    response_model=ChangeRead,
    responses=_errors(
        _409=REFUSALS + " (the change is then declined and its stock given back)",
        _503="payment_provider_unavailable: Stripe did not answer; the change stays requested",
    ),
)
def confirm_amendment(
    change_id: ChangeId,
    body: AmendmentConfirmUpdate,
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> Any:
    """Confirm: applied now (refund, waived, shop settles, no difference) or awaiting_payment.

    Confirming again returns the change as it is (a second click never applies it twice).
    """
    result = service.confirm_amendment(
        session,
        actor=actor,
        customer=customer,
        number=order.number,
        change_id=change_id,
        version=body.version,
    )
    if result.outcome == "declined" and result.reason is not None:
        refusal = ChangeNotAllowed(result.reason)
        # Not raised: the decline (and the stock it gives back) is committed.
        return JSONResponse(error_body(request, refusal), status_code=refusal.status_code)
    read = _read(session, result.change, result.order)
    if result.refund is not None:
        read.refund_minor = result.refund.amount_minor
    return read


@router.post("/{change_id:int}/cancel", response_model=ChangeRead, responses=_errors())
def cancel_amendment(
    change_id: ChangeId,
    body: AmendmentCancelUpdate,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> ChangeRead:
    """Withdraw an amendment not applied yet: its stock goes back, an open payment is canceled."""
    change = service.cancel_change(
        session, actor=actor, customer=customer, number=order.number, change_id=change_id
    )
    return _read(session, change, order)
