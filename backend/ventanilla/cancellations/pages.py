"""The shopper's "cancel the order" pages: a confirmation step that works without JavaScript.

GET  /orders/{number}/cancel    what is cancelled and what happens with the money, an optional
                                reason, "Cancel the order" / "Keep my order" (or why not)
POST /orders/{number}/cancel    cancel: 303 to the order page (?changed=cancel); 422 the page
                                again for an unknown reason; 409 (503) why not, with a way back
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.cancellations import service
from ventanilla.cancellations.policy import REASONS, clean_reason
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import AppError
from ventanilla.core.handlers import refusal_response
from ventanilla.core.i18n import N_
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders.models import Order
from ventanilla.portal.urls import order_url

router = APIRouter(include_in_schema=False)
POSITION = 45

DONE = "cancel"  # ?changed=cancel on the order page
REASON_INVALID = N_("Choose one of the reasons in the list, or none.")


def _version(text: str) -> int:
    text = text.strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 10 else 0


def _page(
    request: Request,
    session: SessionDep,
    customer: Customer,
    order: Order,
    *,
    reason: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    form = service.cancel_form(session, customer=customer, order=order)
    decision = form.decision
    refusal = None
    if not decision.ok:
        refusal = i18n.gettext(decision.message, **dict(decision.params))
    context: dict[str, Any] = {
        "customer": customer,
        "number": order.number,
        "order": order,
        "form": form,
        "refusal": refusal,
        "reasons": REASONS,
        "reason": reason,
        "error": error,
        "order_url": order_url(order.number),
        "form_url": order_url(order.number) + "/cancel",
    }
    return render(request, "cancellations/confirm.html", context, status_code=status_code)


@router.get("/orders/{number}/cancel")
def cancel_page(
    request: Request, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> Response:
    """What cancelling the order means, with the confirm button (or why it is not possible)."""
    return _page(request, session, customer, order)


@router.post("/orders/{number}/cancel")
def cancel_order(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    version: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Cancel the whole order and go back to the order page."""
    try:
        code = clean_reason(reason)
    except ValueError:
        return _page(
            request, session, customer, order, error=i18n.gettext(REASON_INVALID), status_code=422
        )
    try:
        service.cancel_order(
            session,
            actor=actor,
            customer=customer,
            number=order.number,
            version=_version(version),
            reason=code,
        )
    except AppError as exc:
        if exc.status_code not in (409, 503):
            raise
        context = {
            "customer": customer,
            "number": order.number,
            "order_url": order_url(order.number),
            "form_url": order_url(order.number) + "/cancel",
        }
        return refusal_response(
            request, exc, template="cancellations/refused.html", context=context
        )
    return RedirectResponse(order_url(order.number) + f"?changed={DONE}", status_code=303)
