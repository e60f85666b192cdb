"""The shopper's cancellation API (session cookie), calling the same service as the pages.

The write takes a JSON body: a cross-site form cannot send `application/json`, so with the
SameSite=Lax cookie it needs no CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.cancellations import service
from ventanilla.cancellations.policy import REASONS
from ventanilla.cancellations.schemas import (
    CancellationCreate,
    CancellationOptionsRead,
    CancellationRead,
    CancelReasonRead,
)
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse
from ventanilla.orders.models import Order, OrderChange

router = APIRouter(prefix="/me/orders/{number}/cancel", tags=["my orders"])
POSITION = 92

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No shopper session"},
    404: {"model": ErrorResponse, "description": "order_not_found (also someone else's order)"},
}
REFUSALS = (
    "The policy's reason as the code (packing_started, already_shipped, edit_window_closed, "
    "cancelled, not_editable); order_changed: the order moved on since `version`; "
    "change_in_progress, payment_already_succeeded, payment_in_progress: an item change is "
    "being paid"
)


def read(order: Order, change: OrderChange, *, outcome: str) -> CancellationRead:
    preview = change.preview or {}
    return CancellationRead(
        number=order.number,
        status=order.status,
        version=order.version,
        change_id=change.id or 0,
        cancelled_at=change.decided_at or change.created_at,
        reason=preview.get("reason"),
        currency=change.currency,
        total_minor=change.old_total_minor,
        settlement=change.settlement,
        refund_minor=int(preview.get("refund_minor") or 0),
        released_minor=int(preview.get("released_minor") or 0),
        shop_settle_minor=change.shop_settle_minor,
        outcome=outcome,  # type: ignore[arg-type]
    )


@router.get("", response_model=CancellationOptionsRead, responses=RESPONSES)
def cancellation_options(
    session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> CancellationOptionsRead:
    """Whether the order can be cancelled now (or why not), the reasons and the money."""
    form = service.cancel_form(session, customer=customer, order=order)
    done = service.cancellation_of(session, order) if order.status == "cancelled" else None
    decision = form.decision
    return CancellationOptionsRead(
        number=order.number,
        version=order.version,
        can_cancel=decision.ok,
        reason_code=decision.reason_code,
        reason=None if decision.ok else i18n.gettext(decision.message, **dict(decision.params)),
        reasons=[CancelReasonRead(code=k, label=i18n.gettext(v)) for k, v in REASONS.items()],
        money=form.money,
        amount_minor=form.amount_minor,
        currency=order.currency,
        cancellation=read(order, done, outcome="unchanged") if done else None,
    )


@router.post(
    "",
    response_model=CancellationRead,
    responses={
        **RESPONSES,
        409: {"model": ErrorResponse, "description": REFUSALS},
        503: {
            "model": ErrorResponse,
            "description": "payment_provider_unavailable: Stripe did not answer; nothing changed",
        },
    },
)
def cancel_order(
    body: CancellationCreate,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> CancellationRead:
    """Cancel the whole order before packing: stock back, money back, the shop told.

    Sending it again returns the cancellation as it is (`outcome: unchanged`).
    """
    result = service.cancel_order(
        session,
        actor=actor,
        customer=customer,
        number=order.number,
        version=body.version,
        reason=body.reason,
    )
    return read(result.order, result.change, outcome=result.outcome)
