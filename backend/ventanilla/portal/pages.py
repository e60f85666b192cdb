"""The shopper's portal pages: the orders list, one order (with a self-refreshing timeline) and
its printable invoices and their PDFs. The front door leads here."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.templating import render
from ventanilla.invoices import documents
from ventanilla.portal import actions, invoice, view
from ventanilla.portal.urls import order_url

router = APIRouter(include_in_schema=False)
POSITION = 10

TIMELINE_REFRESH_SECONDS = 60



@router.get("/")
def home() -> RedirectResponse:
    """The portal's front door: your orders (or, without a session, "find my order")."""
    return RedirectResponse("/orders", status_code=303)


@router.get("/orders")
def orders_list(request: Request, session: SessionDep, customer: CurrentCustomer) -> Response:
    """The shopper's orders, newest first."""
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
    context: dict[str, object] = {
        "customer": customer,
        "order_url": order_url(order.number),
        "refresh_seconds": TIMELINE_REFRESH_SECONDS,
        # An action's flow ends here with ?changed=<its key>: its `done` message, as a status.
        "notice": actions.done_notice(changed) if changed else None,
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
    document = invoice.invoice_document(
        session, customer=customer, order=order, invoice_number=invoice_number
    )
    return render(
        request,
        "orders/invoice.html",
        {"customer": customer, "doc": document, "order_url": order_url(order.number)},
    )


@router.get("/orders/{number}/invoices/{invoice_number}/pdf")
def invoice_pdf(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    invoice_number: str,
) -> Response:
    """Download an invoice: the shop's own PDF, or a copy made from the data it sent."""
    pdf = documents.invoice_pdf(
        session,
        customer_id=customer.id or 0,
        order=order,
        invoice_number=invoice_number,
        locale=i18n.activate(request),  # the same rule CurrentCustomer applied
    )
    return Response(pdf.data, media_type=documents.PDF, headers=pdf.headers())
