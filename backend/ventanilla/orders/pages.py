"""The shopper's order pages: the list, one order (with a self-refreshing timeline) and invoices."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder
from ventanilla.core.deps import SessionDep
from ventanilla.core.i18n import N_
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders import view

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    """The portal's front door: your orders (or, without a session, "find my order")."""
    return RedirectResponse("/orders", status_code=303)

TIMELINE_REFRESH_SECONDS = 60

# Confirmations after a self-service change redirects here (?changed=...), shown as a status.
CHANGE_NOTICES = {
    "address": N_("Your new delivery address is saved. We have emailed you a confirmation."),
    "items": N_(
        "Your order is updated. We have emailed you a confirmation with the new total and "
        "what happens with the difference."
    ),
}


def _prefer_customer_locale(request: Request, customer: Customer) -> None:
    # The customer's own language beats the browser's; an explicit switch beats both.
    if getattr(request.state, "customer_locale", None) is None:
        request.state.customer_locale = customer.locale


@router.get("/orders")
def orders_list(request: Request, session: SessionDep, customer: CurrentCustomer) -> Response:
    """The shopper's orders, newest first."""
    _prefer_customer_locale(request, customer)
    orders = view.customer_orders(session, customer=customer)
    return render(
        request,
        "orders/list.html",
        {"customer": customer, "orders": orders, "active_nav": "orders"},
    )


@router.get("/orders/{number}")
def order_detail(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    partial: Literal["timeline"] | None = None,
    changed: str = "",
) -> Response:
    """One order: status, items, delivery, tracking, invoices, timeline and what can be done."""
    _prefer_customer_locale(request, customer)
    context: dict[str, object] = {
        "customer": customer,
        "order_url": view.order_url(order.number),
        "refresh_seconds": TIMELINE_REFRESH_SECONDS,
        "notice": CHANGE_NOTICES.get(changed),
    }
    if partial == "timeline":
        entries = view.order_timeline(session, customer=customer, order=order)
        context["timeline"] = entries
        return render(request, "orders/page.html", context, block="timeline")
    page = view.order_page(session, customer=customer, order=order)
    return render(request, "orders/page.html", {**context, "page": page, "timeline": page.timeline})


@router.get("/orders/{number}/invoices/{invoice_number}")
def invoice_detail(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    invoice_number: str,
) -> Response:
    """A printable invoice of the shopper's own order."""
    _prefer_customer_locale(request, customer)
    document = view.invoice_document(
        session, customer=customer, order=order, invoice_number=invoice_number
    )
    return render(
        request,
        "orders/invoice.html",
        {"customer": customer, "doc": document, "order_url": view.order_url(order.number)},
    )
