"""Credit-note requests: on every refund or price reduction Ventanilla asks the shop for a
corrective invoice (factura rectificativa, RD 1619/2012 art. 15) with `credit_note.requested`.

Ventanilla never issues or numbers the credit note: the shop does, and pushes it back through
`PUT /api/v1/invoices/{number}` with `kind: credit_note`. A request is idempotent by its key
(the refund flow passes e.g. `refund:change:42`), so a retried refund never asks twice.
docs/invoices.md describes the payload for shops.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.invoices import policy, repository
from ventanilla.invoices.exceptions import CreditNoteRequestConflict, CreditNoteRequestInvalid
from ventanilla.invoices.models import CreditNoteRequest, Invoice
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox
from ventanilla.outbox.events import EventType

Reason = Literal[
    "order_amended",  # items removed or reduced before packing
    "order_cancelled",
    "return_refunded",
    "claim_refunded",
    "price_reduction",
]
REASONS: frozenset[str] = frozenset(Reason.__args__)  # type: ignore[attr-defined]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CreditLine:
    """A line of the original invoice that is credited, with the quantity credited."""

    description: str
    quantity: int
    sku: str | None = None
    line_no: int | None = None  # the order line, when the refund names one


@dataclass(frozen=True)
class RateAmount:
    """What is credited at one VAT rate: the taxable base and the tax, in minor units."""

    rate: Decimal  # percent, e.g. Decimal("21")
    base_minor: int
    tax_minor: int


@dataclass(frozen=True)
class CreditNoteResult:
    request: CreditNoteRequest
    created: bool  # False: this idempotency key was already requested with this content


def request_credit_note(
    session: Session,
    *,
    order: Order,
    invoice: Invoice,
    lines: Sequence[CreditLine],
    amounts_by_rate: Sequence[RateAmount],
    reason: Reason,
    refund_ids: Sequence[str],
    idempotency_key: str,
    actor: Actor | None = None,
) -> CreditNoteResult:
    """Ask the shop for a credit note against `invoice`; once per `idempotency_key`.

    The caller holds the order's row lock (refunds do). Amounts are non-negative minor units in
    the invoice's currency, one row per VAT rate, together more than zero and at most what is
    left of the invoice after credit notes issued and requested (else CreditNoteRequestInvalid,
    422). The same key with the same content returns the first request (`created=False`);
    with other content raises CreditNoteRequestConflict (409). Queues `credit_note.requested`
    and records `credit_note.requested` in the activity log, in the caller's transaction.
    """
    rows = [_normalised(row) for row in amounts_by_rate]
    content = _content(invoice, lines, rows, reason, refund_ids)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    existing = repository.credit_note_request_by_key(session, idempotency_key)
    if existing is not None:
        return _same_or_conflict(existing, digest)
    _check(session, order=order, invoice=invoice, lines=lines, rows=rows, reason=reason)

    net = sum(row.base_minor for row in rows)
    tax = sum(row.tax_minor for row in rows)
    request = CreditNoteRequest(
        order_id=order.id or 0,
        invoice_id=invoice.id or 0,
        idempotency_key=idempotency_key,
        reason=reason,
        suggested_type=policy.suggested_credit_note_type(invoice),
        currency=invoice.currency,
        lines=content["lines"],
        amounts_by_rate=content["amounts_by_rate"],
        refund_ids=list(refund_ids),
        net_minor=net,
        tax_minor=tax,
        total_minor=net + tax,
        content_hash=digest,
    )
    if not repository.insert(session, request):
        raced = repository.credit_note_request_by_key(session, idempotency_key)
        if raced is None:
            raise CreditNoteRequestConflict()
        return _same_or_conflict(raced, digest)
    activity.record(
        session,
        actor=actor or Actor.system(),
        kind="credit_note.requested",
        order_id=order.id,
        customer_id=order.customer_id,
        data={"number": invoice.number, "request_id": request.id, "total_minor": net + tax},
    )
    outbox.emit_event(
        session,
        type=EventType.CREDIT_NOTE_REQUESTED.value,
        data=credit_note_requested_payload(request, invoice=invoice, order=order),
    )
    return CreditNoteResult(request, created=True)


def credit_note_requested_payload(
    request: CreditNoteRequest, *, invoice: Invoice, order: Order
) -> dict[str, Any]:
    """The `credit_note.requested` webhook's data (docs/invoices.md)."""
    return {
        "request_id": request.id,
        "idempotency_key": request.idempotency_key,
        "order_number": order.number,
        "invoice": {
            "number": invoice.number,
            "series": invoice.series,
            "issue_date": invoice.issue_date.isoformat(),
            "simplified": invoice.simplified,
            "total_minor": invoice.total_minor,
        },
        "suggested_type": request.suggested_type,
        "reason": request.reason,
        "currency": request.currency,
        "lines": request.lines,
        "amounts_by_rate": request.amounts_by_rate,
        "totals": {
            "net_minor": request.net_minor,
            "tax_minor": request.tax_minor,
            "total_minor": request.total_minor,
        },
        "refund_ids": request.refund_ids,
        "requested_at": (request.created_at or clock.now()).isoformat(),
    }


def _normalised(row: RateAmount) -> RateAmount:
    # "21", 21 and "21.00" are one rate, as on pushed invoices.
    return RateAmount(Decimal(row.rate).quantize(CENT), row.base_minor, row.tax_minor)


def _content(
    invoice: Invoice,
    lines: Sequence[CreditLine],
    rows: Sequence[RateAmount],
    reason: str,
    refund_ids: Sequence[str],
) -> dict[str, Any]:
    return {
        "invoice": invoice.number,
        "reason": reason,
        "lines": [asdict(line) for line in lines],
        "amounts_by_rate": [
            {
                "rate": str(row.rate),
                "base_minor": row.base_minor,
                "tax_minor": row.tax_minor,
                "total_minor": row.base_minor + row.tax_minor,
            }
            for row in rows
        ],
        "refund_ids": sorted(refund_ids),
    }


def _same_or_conflict(existing: CreditNoteRequest, digest: str) -> CreditNoteResult:
    if existing.content_hash != digest:
        raise CreditNoteRequestConflict()
    return CreditNoteResult(existing, created=False)


def _check(
    session: Session,
    *,
    order: Order,
    invoice: Invoice,
    lines: Sequence[CreditLine],
    rows: Sequence[RateAmount],
    reason: str,
) -> None:
    def invalid(message: str) -> CreditNoteRequestInvalid:
        return CreditNoteRequestInvalid(message)

    if invoice.order_id != order.id or invoice.id is None:
        raise invalid(f"Invoice {invoice.number} is not an invoice of order {order.number}.")
    if invoice.kind != "invoice":
        raise invalid("A credit note corrects an invoice, not another credit note.")
    if reason not in REASONS:
        raise invalid(f"Unknown reason {reason!r}; one of {', '.join(sorted(REASONS))}.")
    if not rows or len({row.rate for row in rows}) != len(rows):
        raise invalid("Give the amounts by VAT rate: at least one rate, each rate once.")
    if any(row.base_minor < 0 or row.tax_minor < 0 for row in rows):
        raise invalid("Amounts are never negative: a credit note states what it credits.")
    if any(line.quantity < 1 for line in lines):
        raise invalid("Every credited line has a quantity of at least 1.")
    total = sum(row.base_minor + row.tax_minor for row in rows)
    if total <= 0:
        raise invalid("A credit note credits more than nothing.")
    credited = repository.credited_total(session, corrects_number=invoice.number)
    pending = repository.pending_credit_total(session, invoice_id=invoice.id)
    left = invoice.total_minor - credited - pending
    if total > left:
        raise invalid(
            f"Only {left} of invoice {invoice.number} is left to credit (total "
            f"{invoice.total_minor}, credited {credited}, requested {pending})."
        )
