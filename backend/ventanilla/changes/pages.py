"""The shopper's "change the items" pages: the form, the preview, confirm, pay, cancel.

GET  /orders/{number}/items                      quantities, remove boxes, "add a product"
POST /orders/{number}/items/estimate             HTMX only: the new totals as the form changes
POST /orders/{number}/items/preview              record the change (stock reserved) -> 303 to
                                                 its page; 422 the form with messages; 409 why not
GET  /orders/{number}/changes/{change_id}        the preview with Confirm/Cancel, or its state
POST /orders/{number}/items/confirm              change_id + version: refund/none/waived/shop ->
                                                 303 to the order page; payment -> the pay page
POST /orders/{number}/items/cancel               change_id: withdraw it, stock back
GET  /orders/{number}/changes/{change_id}/pay    Stripe.js card form (needs JavaScript)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.changes import amounts, service
from ventanilla.changes.exceptions import AmendmentInvalid, ChangeNotFound
from ventanilla.changes.forms import (
    RawForm,
    change_id_of,
    parse_items_form,
    problem_errors,
    version_of,
)
from ventanilla.config import get_settings
from ventanilla.core import i18n
from ventanilla.core.decisions import Decision
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import AppError
from ventanilla.core.fields import INT32_MAX
from ventanilla.core.handlers import refusal_response, refusal_text
from ventanilla.core.i18n import N_
from ventanilla.core.middleware import allow_payment_scripts
from ventanilla.core.money import percent_text
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders.exceptions import ChangeInProgress, ChangeNotAllowed, OrderChanged
from ventanilla.orders.models import OrderChange
from ventanilla.orders.policy import EDIT_REFUSALS
from ventanilla.payments import service as payments
from ventanilla.payments.exceptions import (
    PaymentAlreadySucceeded,
    PaymentInProgress,
    PaymentProviderUnavailable,
    PaymentRejected,
)
from ventanilla.portal.urls import change_url, order_url

router = APIRouter(include_in_schema=False)
POSITION = 40

CONFIRMED = "items"  # ?changed=items on the order page
STATE_REFRESH_SECONDS = 3

# What the shopper reads about the state of a change.
STATUS_LABELS = {
    "requested": N_("Waiting for your confirmation"),
    "awaiting_payment": N_("Waiting for your payment"),
    "confirmed": N_("Done: your order was updated"),
    "declined": N_("Not applied"),
    "canceled": N_("Withdrawn"),
}


# --- rendering helpers --------------------------------------------------------------------------


def _urls(number: str, change_id: int | None = None) -> dict[str, str]:
    base = order_url(number)
    urls = {
        "order_url": base,
        "items_url": base + "/items",
        "estimate_url": base + "/items/estimate",
        "preview_url": base + "/items/preview",
        "confirm_url": base + "/items/confirm",
        "cancel_url": base + "/items/cancel",
    }
    if change_id is not None:
        urls["change_url"] = f"{base}/changes/{change_id}"
        urls["pay_url"] = f"{base}/changes/{change_id}/pay"
    return urls


def _reason_text(code: str | None, decision: Decision | None = None) -> str:
    """Why a change is not possible (a decision) or was not applied (its stored code)."""
    if decision is not None and decision.message:
        return i18n.gettext(decision.message, **dict(decision.params))
    return i18n.gettext(EDIT_REFUSALS.get(code or "", EDIT_REFUSALS["not_editable"]))


def _refused(
    request: Request,
    customer: Customer,
    number: str,
    exc: AppError,
    *,
    active: OrderChange | None = None,
) -> Response:
    """A 409 (or 503) with the reason and what to do instead; nothing was changed."""
    context = {
        "customer": customer,
        "number": number,
        **_urls(number),
        "active_url": change_url(number, active.id) if active and active.id else None,
    }
    return refusal_response(request, exc, template="changes/refused.html", context=context)


def _form_page(
    request: Request,
    session: SessionDep,
    customer: Customer,
    order: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form = service.items_form(session, customer=customer, order=order)
    refusal = None if form.decision.ok else _reason_text(None, form.decision)
    active = form.active_change
    return render(
        request,
        "changes/items.html",
        {
            "customer": customer,
            "number": order.number,
            "order": order,
            "form": form,
            "refusal": refusal,
            "active_url": change_url(order.number, active.id) if active and active.id else None,
            "values": values or {},
            "errors": errors or {},
            "max_quantity": amounts.MAX_QUANTITY,
            **_urls(order.number),
        },
        status_code=status_code,
    )


def _change_context(
    session: SessionDep, customer: Customer, order: Any, change: OrderChange
) -> dict[str, Any]:
    assert change.id is not None
    data = change.preview or {}
    reason = None
    if change.status == "declined":
        reason = _reason_text(change.decline_code)
    elif change.status == "canceled" and change.decline_code:
        reason = _reason_text(change.decline_code)
    return {
        "customer": customer,
        "number": order.number,
        "order": order,
        "change": change,
        "preview": data,
        "status_label": STATUS_LABELS.get(change.status, STATUS_LABELS["requested"]),
        "reason": reason,
        "stale": change.status == "requested" and change.base_version != order.version,
        "refresh_seconds": STATE_REFRESH_SECONDS,
        "percent": _percent,
        **_urls(order.number, change.id),
    }


def _percent(rate_bp: int) -> str:
    return percent_text(Decimal(rate_bp) / 100)


# --- routes -------------------------------------------------------------------------------------


@router.get("/orders/{number}/items")
def items_page(
    request: Request, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> Response:
    """Change quantities, remove lines or add a product (or read why it is not possible now)."""
    return _form_page(request, session, customer, order)


@router.post("/orders/{number}/items/estimate")
def items_estimate(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    form: RawForm,
) -> Response:
    """The new totals for what the form says now (HTMX); nothing is written."""
    parsed = parse_items_form(form)
    context: dict[str, Any] = {"order": order, "estimate": None, "estimate_error": None}
    if parsed.errors:
        context["estimate_error"] = next(iter(parsed.errors.values()))
    else:
        try:
            preview = service.preview_amendment(
                session,
                customer=customer,
                order=order,
                version=version_of(parsed.values),
                actions=parsed.actions,
            )
            context["estimate"] = preview.as_dict()
        except AmendmentInvalid as exc:
            context["estimate_error"] = next(iter(problem_errors(exc, parsed).values()))
        except (ChangeNotAllowed, OrderChanged) as exc:
            context["estimate_error"] = refusal_text(request, exc)
    return render(request, "changes/_estimate.html", context)


@router.post("/orders/{number}/items/preview")
def items_preview(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    form: RawForm,
) -> Response:
    """Record the amendment (its stock is held for you) and show the preview to confirm."""
    parsed = parse_items_form(form)
    if parsed.errors:
        return _form_page(
            request,
            session,
            customer,
            order,
            values=parsed.values,
            errors=parsed.errors,
            status_code=422,
        )
    try:
        change = service.request_amendment(
            session,
            actor=actor,
            customer=customer,
            number=order.number,
            version=version_of(parsed.values),
            actions=parsed.actions,
        )
    except AmendmentInvalid as exc:
        return _form_page(
            request,
            session,
            customer,
            order,
            values=parsed.values,
            errors=problem_errors(exc, parsed),
            status_code=422,
        )
    except ChangeInProgress as exc:
        active = service.items_form(session, customer=customer, order=order).active_change
        return _refused(request, customer, order.number, exc, active=active)
    except (ChangeNotAllowed, OrderChanged) as exc:
        return _refused(request, customer, order.number, exc)
    assert change.id is not None
    return _redirect(request, change_url(order.number, change.id))


@router.get("/orders/{number}/changes/{change_id:int}")
def change_page(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    change_id: int,
    partial: str | None = None,
) -> Response:
    """One amendment: the preview with Confirm and Cancel, or what became of it."""
    change = _change_or_404(session, customer, order, change_id)
    context = _change_context(session, customer, order, change)
    if partial == "state":
        return render(request, "changes/change.html", context, block="state")
    return render(request, "changes/change.html", context)


@router.post("/orders/{number}/items/confirm")
def items_confirm(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    change_id: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Confirm: refunds, waived and shop-settled changes apply now; a payment opens the pay page."""
    values = {"change_id": change_id, "version": version}
    number = order.number
    try:
        result = service.confirm_amendment(
            session,
            actor=actor,
            customer=customer,
            number=number,
            change_id=change_id_of(values),
            version=version_of(values),
        )
    except (
        OrderChanged,
        PaymentProviderUnavailable,
        PaymentRejected,
    ) as exc:
        return _refused(request, customer, number, exc)
    assert result.change.id is not None
    if result.outcome == "declined" and result.reason is not None:
        # Committed as declined (stock given back): say why, as a refusal.
        return _refused(request, customer, number, ChangeNotAllowed(result.reason))
    if result.outcome == "awaiting_payment":
        return _redirect(request, change_url(number, result.change.id) + "/pay")
    if result.outcome == "confirmed":
        return _redirect(request, f"{order_url(number)}?changed={CONFIRMED}")
    return _redirect(request, change_url(number, result.change.id))


@router.post("/orders/{number}/items/cancel")
def items_cancel(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    change_id: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw the amendment: nothing changes in the order and the held stock goes back."""
    number = order.number
    try:
        change = service.cancel_change(
            session,
            actor=actor,
            customer=customer,
            number=number,
            change_id=change_id_of({"change_id": change_id}),
        )
    except (PaymentAlreadySucceeded, PaymentInProgress, PaymentProviderUnavailable) as exc:
        return _refused(request, customer, number, exc)
    assert change.id is not None
    return _redirect(request, change_url(number, change.id))


@router.get("/orders/{number}/changes/{change_id:int}/pay")
def pay_page(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    change_id: int,
) -> Response:
    """Pay the difference by card with Stripe.js; the change applies once the payment succeeds."""
    change = _change_or_404(session, customer, order, change_id)
    entry = service.payment_for(session, change=change)
    if change.status != "awaiting_payment" or entry is None or not entry.client_secret:
        return RedirectResponse(change_url(order.number, change_id), status_code=303)
    base = get_settings().base_url.rstrip("/")
    checkout = payments.checkout_context(
        entry, return_url=base + change_url(order.number, change_id)
    )
    allow_payment_scripts(request)
    context = _change_context(session, customer, order, change)
    context.update(checkout=checkout, entry=entry)
    return render(request, "changes/pay.html", context)


def _change_or_404(
    session: SessionDep, customer: Customer, order: Any, change_id: int
) -> OrderChange:
    if not 0 < change_id <= INT32_MAX:
        raise ChangeNotFound()
    change = service.get_change(session, customer=customer, order=order, change_id=change_id)
    if change.kind != service.KIND:
        raise ChangeNotFound()
    return change


def _redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
