"""A full invoice in exchange for a simplified one (canje, RD 1619/2012 art. 15).

The shopper gives the legal name, tax id and address; Ventanilla validates them, records one
open request per invoice (the database enforces it) and tells the shop with the
`invoice.full_requested` webhook. The shop issues the full invoice in its own system and pushes
it like any other (`PUT /api/v1/invoices/{number}`); Ventanilla never numbers one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.core.errors import FieldErrors
from ventanilla.core.i18n import N_
from ventanilla.customers.models import Customer
from ventanilla.invoices import policy, repository, taxid
from ventanilla.invoices.exceptions import FullInvoiceRefused, InvoiceNotFound
from ventanilla.invoices.models import FullInvoiceRequest, Invoice
from ventanilla.invoices.schemas import BillingAddressCreate
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox
from ventanilla.outbox.events import EventType

FieldError = tuple[tuple[str | int, ...], str, str]
LEGAL_NAME_MISSING = N_("Enter the legal name as it must appear on the invoice.")


def request_full_invoice(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    order: Order,
    invoice_number: str,
    legal_name: str,
    tax_id: str,
    address: BillingAddressCreate,
) -> FullInvoiceRequest:
    """Record the request and queue `invoice.full_requested` (same transaction).

    `order` must be the customer's and `invoice_number` one of its invoices, else
    OrderNotFound / InvoiceNotFound (404, exactly like missing ones). A tax id that is not a
    valid Spanish NIF/NIE/CIF or EU VAT number, or an empty legal name, raises FieldErrors
    (422; the messages are msgids with their es translations, see `taxid`). A credit note, an
    invoice the shop marked as full, or one with a request still open raises FullInvoiceRefused
    (409) with the policy's reason.
    """
    if order.customer_id != customer.id:
        raise OrderNotFound()
    invoice = repository.get_for_customer(
        session, customer_id=customer.id or 0, number=invoice_number
    )
    if invoice is None or invoice.order_id != order.id or invoice.id is None:
        raise InvoiceNotFound()
    open_request = repository.open_full_invoice_request(session, invoice.id)
    _refuse_unless(policy.can_request_full_invoice(invoice, open_request=open_request is not None))

    name, checked = _buyer(legal_name, tax_id)
    request = FullInvoiceRequest(
        invoice_id=invoice.id,
        order_id=order.id or 0,
        customer_id=customer.id or 0,
        open_invoice_id=invoice.id,
        legal_name=name,
        tax_id=checked.compact,
        tax_id_kind=checked.kind,
        tax_id_country=checked.country,
        address_line1=address.line1,
        address_line2=address.line2,
        postcode=address.postcode,
        city=address.city,
        region=address.region,
        country=address.country,
        actor_type=actor.type,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
    )
    if not repository.insert(session, request):
        # Another request for this invoice was opened between our check and our insert.
        _refuse_unless(policy.can_request_full_invoice(invoice, open_request=True))
    activity.record(
        session,
        actor=actor,
        kind="invoice.full_requested",
        order_id=order.id,
        customer_id=customer.id,
        data={"number": invoice.number, "request_id": request.id},
    )
    outbox.emit_event(
        session,
        type=EventType.INVOICE_FULL_REQUESTED.value,
        data=full_requested_payload(request, invoice=invoice, order=order),
    )
    return request


def full_requested_payload(
    request: FullInvoiceRequest, *, invoice: Invoice, order: Order
) -> dict[str, Any]:
    """The `invoice.full_requested` webhook's data (docs/invoices.md)."""
    return {
        "request_id": request.id,
        "order_number": order.number,
        "invoice": {
            "number": invoice.number,
            "series": invoice.series,
            "issue_date": invoice.issue_date.isoformat(),
            "total_minor": invoice.total_minor,
            "currency": invoice.currency,
        },
        "buyer": {
            "legal_name": request.legal_name,
            "tax_id": request.tax_id,
            "tax_id_kind": request.tax_id_kind,
            "tax_id_country": request.tax_id_country,
            "address": {
                "line1": request.address_line1,
                "line2": request.address_line2,
                "postcode": request.postcode,
                "city": request.city,
                "region": request.region,
                "country": request.country,
            },
        },
        "requested_by": request.actor_type,
        "requested_at": (request.created_at or clock.now()).isoformat(),
    }


def _buyer(legal_name: str, tax_id: str) -> tuple[str, taxid.TaxId]:
    """The legal name (white space collapsed) and the checked tax id, or FieldErrors."""
    checked = taxid.check_tax_id(tax_id)
    errors: list[FieldError] = []
    name = " ".join(legal_name.split())
    if not name or len(name) > 200:
        errors.append((("body", "legal_name"), LEGAL_NAME_MISSING, "legal_name"))
    if checked.tax_id is None:
        decision = checked.decision
        message = decision.text()
        errors.append((("body", "tax_id"), message, decision.reason_code or ""))
    if errors or checked.tax_id is None:
        raise FieldErrors(errors)
    return name, checked.tax_id


def _refuse_unless(decision: Decision) -> None:
    if not decision.ok:
        raise FullInvoiceRefused(decision)
