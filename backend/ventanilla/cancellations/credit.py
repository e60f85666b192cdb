"""The credit notes a cancellation needs: an invoice the shop already issued for the order is
cancelled by a corrective invoice (factura rectificativa, RD 1619/2012 art. 15), which the shop
issues and numbers. Ventanilla asks for it (`credit_note.requested`) once per invoice, for the
whole invoice, in the cancellation's transaction (`invoices.credit_notes`)."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from ventanilla.core.actors import Actor
from ventanilla.invoices import credit_notes
from ventanilla.invoices import repository as invoices_repository
from ventanilla.invoices.exceptions import CreditNoteRequestConflict, CreditNoteRequestInvalid
from ventanilla.invoices.models import Invoice
from ventanilla.orders.models import Order

log = logging.getLogger("ventanilla.cancellations")


def request_credit_notes(
    session: Session, *, order: Order, change_id: int, refund_keys: list[str], actor: Actor
) -> list[str]:
    """Ask for a credit note of each invoice of `order` nothing was credited on yet; returns
    the invoice numbers asked for.

    Skipped: credit notes themselves, a simplified invoice exchanged for a full one (the full
    one is credited), and an invoice already credited in part (the shop credits the rest: the
    `order.cancelled` webhook says what was refunded). Idempotent per change and invoice.
    """
    assert order.id is not None
    full, _credit = invoices_repository.requests_for_order(session, order.id)
    exchanged = {request.invoice_id for request, _n in full if request.status == "fulfilled"}
    asked = []
    for invoice in invoices_repository.for_order(session, order.id):
        if invoice.kind != "invoice" or invoice.id is None or invoice.id in exchanged:
            continue
        if invoices_repository.credited_total(
            session, corrects_number=invoice.number
        ) or invoices_repository.pending_credit_total(session, invoice_id=invoice.id):
            continue
        try:
            credit_notes.request_credit_note(
                session,
                order=order,
                invoice=invoice,
                lines=_lines(invoice),
                amounts_by_rate=_rates(invoice),
                reason="order_cancelled",
                refund_ids=refund_keys,
                idempotency_key=f"cancel:{change_id}:invoice:{invoice.id}",
                actor=actor,
            )
        except (CreditNoteRequestInvalid, CreditNoteRequestConflict, InvalidOperation) as exc:
            # An invoice we cannot read as a whole (odd rates): the shop credits it by hand.
            log.warning("no credit-note request for invoice %s: %s", invoice.number, exc)
            continue
        asked.append(invoice.number)
    return asked


def _lines(invoice: Invoice) -> list[credit_notes.CreditLine]:
    return [
        credit_notes.CreditLine(
            description=str(line.get("description") or "")[:200],
            quantity=int(line.get("quantity") or 1),
            sku=line.get("sku"),
        )
        for line in invoice.lines
    ]


def _rates(invoice: Invoice) -> list[credit_notes.RateAmount]:
    return [
        credit_notes.RateAmount(
            rate=Decimal(str(row["rate"])),
            base_minor=int(row["base_minor"]),
            tax_minor=int(row["tax_minor"]),
        )
        for row in invoice.tax_breakdown
    ]
