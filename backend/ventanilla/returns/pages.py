"""The shopper's withdrawal and return pages (work without JavaScript: forms post and redirect).

GET  /orders/{number}/withdrawal            the short form: who, which items, where to write
POST /orders/{number}/withdrawal/review     the summary with "Confirm withdrawal" (422: the form)
POST /orders/{number}/withdrawal/confirm    record it (idempotent) -> 303 to the case
GET  /orders/{number}/returns/new           reason, items: what each can do and until when
POST /orders/{number}/returns/review        the summary with the amount (422: the form)
POST /orders/{number}/returns/confirm       record it -> 303 to the case (RMA, instructions)
GET  /orders/{number}/returns/{rma}         the case: status, amounts, deadlines, instructions
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.config import get_settings
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import AppError
from ventanilla.core.handlers import refusal_response
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders.models import Order
from ventanilla.portal.urls import order_url
from ventanilla.returns import forms, options, service
from ventanilla.returns.exceptions import ReturnInvalid

router = APIRouter(include_in_schema=False)
POSITION = 50


async def _form(request: Request) -> FormData:
    return await request.form()


RawForm = Annotated[FormData, Depends(_form)]


def _urls(number: str) -> dict[str, str]:
    base = order_url(number)
    return {
        "order_url": base,
        "withdrawal_url": base + "/withdrawal",
        "withdrawal_review_url": base + "/withdrawal/review",
        "withdrawal_confirm_url": base + "/withdrawal/confirm",
        "return_url": base + "/returns/new",
        "return_review_url": base + "/returns/review",
        "return_confirm_url": base + "/returns/confirm",
    }


def _reasons() -> list[dict[str, str]]:
    lang = i18n.current_locale.get()[:2]
    return [
        {"code": r.code, "label": r.es if lang == "es" else r.en}
        for r in get_settings().policy().returns.reasons
    ]


def _form_page(
    request: Request,
    session: SessionDep,
    customer: Customer,
    order: Order,
    *,
    kind: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    values = values or {}
    reason = values.get("reason") or None
    if kind == "withdrawal":
        existing = service.cases_for_order(session, customer=customer, order=order)
        done = next((c for c in existing if c.kind == "withdrawal"), None)
        if done is not None:
            return RedirectResponse(service.case_url(order.number, done.rma), status_code=303)
        values.setdefault("name", customer.name or "")
        values.setdefault("email", customer.email)
    q = service.get_quote(session, order=order, kind=kind, reason=reason)
    return render(
        request,
        f"returns/{kind}.html",
        {
            "customer": customer,
            "number": order.number,
            "order": order,
            "quote": q,
            "refusal": None
            if q.decision.ok
            else i18n.gettext(q.decision.message, **dict(q.decision.params)),
            "line_reason": options.line_reason,
            "reasons": _reasons(),
            "values": values,
            "errors": errors or {},
            **_urls(order.number),
        },
        status_code=status_code,
    )


def _refused(request: Request, customer: Customer, number: str, exc: AppError) -> Response:
    context = {"customer": customer, "number": number, **_urls(number)}
    return refusal_response(request, exc, template="returns/refused.html", context=context)


def _review(
    request: Request,
    session: SessionDep,
    customer: Customer,
    order: Order,
    form: FormData,
    *,
    kind: str,
) -> Response:
    parsed = forms.parse(form, contact=kind == "withdrawal")
    reason = parsed.values.get("reason") or None
    if kind == "return" and reason not in {r["code"] for r in _reasons()}:
        parsed.errors["reason"] = i18n.gettext(forms.CHOOSE_REASON)
    if parsed.errors:
        return _form_page(
            request,
            session,
            customer,
            order,
            kind=kind,
            values=parsed.values,
            errors=parsed.errors,
            status_code=422,
        )
    q = service.get_quote(session, order=order, kind=kind, reason=reason)
    if not q.decision.ok:
        return _form_page(request, session, customer, order, kind=kind, values=parsed.values)
    try:
        priced = options.price(q, parsed.selection)
    except ReturnInvalid as exc:
        return _form_page(
            request,
            session,
            customer,
            order,
            kind=kind,
            values=parsed.values,
            errors=forms.field_errors(exc.errors),
            status_code=422,
        )
    return render(
        request,
        "returns/review.html",
        {
            "customer": customer,
            "number": order.number,
            "order": order,
            "kind": kind,
            "priced": priced,
            "values": parsed.values,
            "reason_label": next((r["label"] for r in _reasons() if r["code"] == reason), ""),
            **_urls(order.number),
        },
    )


@router.get("/orders/{number}/withdrawal")
def withdrawal_page(
    request: Request, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> Response:
    """Withdraw from the contract: the short form (or the withdrawal already made)."""
    return _form_page(request, session, customer, order, kind="withdrawal")


@router.post("/orders/{number}/withdrawal/review")
def withdrawal_review(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    form: RawForm,
) -> Response:
    """The summary and the separate "Confirm withdrawal" step; nothing is recorded yet."""
    return _review(request, session, customer, order, form, kind="withdrawal")


@router.post("/orders/{number}/withdrawal/confirm")
def withdrawal_confirm(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    form: RawForm,
) -> Response:
    """Record the withdrawal (twice: the first one) and send the acknowledgement."""
    parsed = forms.parse(form, contact=True)
    if parsed.errors:
        return _form_page(
            request,
            session,
            customer,
            order,
            kind="withdrawal",
            values=parsed.values,
            errors=parsed.errors,
            status_code=422,
        )
    try:
        result = service.withdraw(
            session,
            actor=actor,
            customer=customer,
            number=order.number,
            selection=parsed.selection,
            name=parsed.values["name"],
            email=parsed.values["email"],
        )
    except ReturnInvalid as exc:
        return _form_page(
            request,
            session,
            customer,
            order,
            kind="withdrawal",
            values=parsed.values,
            errors=forms.field_errors(exc.errors),
            status_code=422,
        )
    except AppError as exc:
        return _refused(request, customer, order.number, exc)
    return RedirectResponse(service.case_url(order.number, result.case.rma), status_code=303)


@router.get("/orders/{number}/returns/new")
def return_page(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    reason: str | None = None,
) -> Response:
    """Return items: a reason, then per item whether it can go back, until when, for what."""
    values = {"reason": reason} if reason else {}
    return _form_page(request, session, customer, order, kind="return", values=values)


@router.post("/orders/{number}/returns/review")
def return_review(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    form: RawForm,
) -> Response:
    """The summary with the amount before submitting; nothing is recorded yet."""
    return _review(request, session, customer, order, form, kind="return")


@router.post("/orders/{number}/returns/confirm")
def return_confirm(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
    form: RawForm,
) -> Response:
    """Record the return (RMA) and email the instructions."""
    parsed = forms.parse(form)
    try:
        result = service.request_return(
            session,
            actor=actor,
            customer=customer,
            number=order.number,
            selection=parsed.selection,
            reason=parsed.values.get("reason", ""),
            note=(parsed.values.get("note") or None),
        )
    except ReturnInvalid as exc:
        return _form_page(
            request,
            session,
            customer,
            order,
            kind="return",
            values=parsed.values,
            errors=forms.field_errors(exc.errors),
            status_code=422,
        )
    except AppError as exc:
        return _refused(request, customer, order.number, exc)
    return RedirectResponse(service.case_url(order.number, result.case.rma), status_code=303)


@router.get("/orders/{number}/returns/{rma}")
def case_page(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    rma: str,
) -> Response:
    """One return or withdrawal: status, items, amounts, deadlines, instructions."""
    case, lines = service.case_for_customer(session, customer=customer, order=order, rma=rma)
    context: dict[str, Any] = {
        "customer": customer,
        "number": order.number,
        "order": order,
        "case": case,
        "lines": lines,
        "return_address": get_settings().policy().returns.return_address,
        **_urls(order.number),
    }
    return render(request, "returns/case.html", context)
