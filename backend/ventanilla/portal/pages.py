"""The shopper's portal pages: the orders list, one order (with a self-refreshing timeline) and
its printable invoices and their PDFs. The front door leads here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access.deps import CurrentCustomer, OwnedOrder
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.templating import render
from ventanilla.invoices import documents
from ventanilla.portal import invoice, serve
from ventanilla.portal.urls import order_url

router = APIRouter(include_in_schema=False)
POSITION = 10



@router.get("/")
async def home() -> RedirectResponse:
    """The portal's front door: your orders (or, without a session, "find my order")."""
    return RedirectResponse("/orders", status_code=303)


# The two busiest pages are plain Starlette routes (GET, and HEAD with it): no parameters or
# dependencies for FastAPI to solve (its machinery cost a third of a warm page); the session is
# checked by `portal.serve` on the loop, with CurrentCustomer's and OwnedOrder's rules.


async def orders_list(request: Request) -> Response:
    """The shopper's orders, newest first."""
    return await serve.orders_list(request)


async def order_detail(request: Request) -> Response:
    """One order: status, items, delivery, tracking, invoices, timeline and what can be done.

    Query: `partial=timeline` (only the timeline block, for HTMX) and `changed=<action key>`
    (an action's flow ended here: its "done" notice).
    """
    # Reused until the order, the language or the shop's settings change (`portal.pagecache`).
    number = request.path_params["number"]
    query = request.query_params
    partial = query.get("partial")
    if partial is not None and partial != "timeline":
        raise RequestValidationError(
            [
                {
                    "type": "literal_error",
                    "loc": ("query", "partial"),
                    "msg": "Input should be 'timeline'",
                    "input": partial,
                }
            ]
        )
    changed = query.get("changed", "")
    return await serve.order_page(request, number=number, partial=partial, changed=changed)


router.add_route("/orders", orders_list, methods=["GET"], include_in_schema=False)
router.add_route("/orders/{number}", order_detail, methods=["GET"], include_in_schema=False)


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
