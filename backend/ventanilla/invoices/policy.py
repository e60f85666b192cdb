"""Pure checks on an invoice: its arithmetic, its content hash, what a credit note may do, and
what a shopper may ask for (a full invoice) or the shop is asked for (a credit note)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import InvoiceCreate

FieldError = tuple[tuple[str | int, ...], str, str]


# Added after invoices were first stored: left out of the hash while absent, so an invoice
# stored before them still hashes the same when it is pushed again.
OPTIONAL_FIELDS = ("series", "simplified")


def content_hash(data: InvoiceCreate) -> str:
    """SHA-256 of the canonical content: the same invoice pushed again hashes the same."""
    absent = {name for name in OPTIONAL_FIELDS if getattr(data, name) is None}
    canonical = json.dumps(
        data.model_dump(mode="json", exclude=absent),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def arithmetic_errors(data: InvoiceCreate) -> list[FieldError]:
    """Lines, tax breakdown and totals that do not add up.

    Tax per rate may be rounded on the base rather than per line, so line taxes are not summed
    against the totals; nets are exact and must agree everywhere.
    """
    errors: list[FieldError] = []
    for i, line in enumerate(data.lines):
        if line.net_minor + line.tax_minor != line.total_minor:
            errors.append(_sum_error(("body", "lines", i, "total_minor"), line))
    totals = data.totals
    if totals.net_minor + totals.tax_minor != totals.total_minor:
        errors.append(_sum_error(("body", "totals", "total_minor"), totals))
    line_net = sum(line.net_minor for line in data.lines)
    if line_net != totals.net_minor:
        errors.append(
            (
                ("body", "totals", "net_minor"),
                f"The lines' net amounts add up to {line_net}, not {totals.net_minor}.",
                "totals_mismatch",
            )
        )

    net_by_rate: dict[Decimal, int] = {}
    for line in data.lines:
        net_by_rate[line.tax_rate] = net_by_rate.get(line.tax_rate, 0) + line.net_minor
    seen: set[Decimal] = set()
    for i, row in enumerate(data.tax_breakdown):
        if row.rate in seen:
            errors.append(
                (("body", "tax_breakdown", i, "rate"), f"Rate {row.rate} is listed twice.", "dup")
            )
            continue
        seen.add(row.rate)
        expected = net_by_rate.get(row.rate, 0)
        if row.base_minor != expected:
            errors.append(
                (
                    ("body", "tax_breakdown", i, "base_minor"),
                    f"The lines at {row.rate} % have a net of {expected}, not {row.base_minor}.",
                    "breakdown_mismatch",
                )
            )
    for i, line in enumerate(data.lines):
        if line.tax_rate not in seen:
            errors.append(
                (
                    ("body", "lines", i, "tax_rate"),
                    f"Rate {line.tax_rate} is missing from tax_breakdown.",
                    "rate_not_in_breakdown",
                )
            )
    breakdown_tax = sum(row.tax_minor for row in data.tax_breakdown)
    if breakdown_tax != totals.tax_minor:
        errors.append(
            (
                ("body", "totals", "tax_minor"),
                f"The tax breakdown adds up to {breakdown_tax}, not {totals.tax_minor}.",
                "totals_mismatch",
            )
        )
    return errors


def credit_note_errors(
    data: InvoiceCreate,
    *,
    order_id: int | None,
    corrected: Invoice | None,
    already_credited_minor: int,
) -> list[FieldError]:
    """A credit note corrects an existing invoice of the same order, and never beyond its total."""
    loc = ("body", "corrects_number")
    if data.kind == "invoice":
        if data.corrects_number is not None:
            return [(loc, "Only a credit note corrects another invoice.", "not_allowed")]
        return []
    if data.corrects_number is None:
        return [(loc, "A credit note must name the invoice it corrects.", "missing")]
    if corrected is None:
        return [(loc, f"There is no invoice {data.corrects_number}.", "unknown_invoice")]
    if corrected.kind != "invoice":
        return [(loc, "A credit note corrects an invoice, not another credit note.", "not_invoice")]
    if order_id is not None and corrected.order_id != order_id:
        return [(loc, f"Invoice {corrected.number} belongs to another order.", "other_order")]
    left = corrected.total_minor - already_credited_minor
    if data.totals.total_minor > left:
        return [
            (
                ("body", "totals", "total_minor"),
                f"Only {left} of invoice {corrected.number} is left to credit "
                f"(total {corrected.total_minor}, already credited {already_credited_minor}).",
                "exceeds_invoice",
            )
        ]
    return []


def _sum_error(loc: tuple[str | int, ...], amounts: object) -> FieldError:
    net, tax, total = (getattr(amounts, k) for k in ("net_minor", "tax_minor", "total_minor"))
    return (loc, f"net_minor + tax_minor is {net + tax}, not {total}.", "sum_mismatch")


# --- full invoice in exchange for a simplified one (canje), credit-note requests -------------

CREDIT_NOTE_NOT_EXCHANGED = N_(
    "A credit note cannot be exchanged for a full invoice. You can ask for a full invoice of "
    "the purchase it corrects."
)
ALREADY_FULL = N_(
    "Invoice %(number)s is already a full invoice. If the details on it are wrong, please "
    "contact the shop."
)
ALREADY_REQUESTED = N_(
    "You have already asked for a full invoice in exchange for %(number)s. The shop will send "
    "it here and by email; there is no need to ask again."
)


def can_request_full_invoice(invoice: Invoice, *, open_request: bool) -> Decision:
    """May the shopper ask for a full invoice in exchange for this one?

    RD 1619/2012 art. 15: a buyer may ask for a full invoice for an operation documented by a
    simplified one. A credit note is not exchanged; an invoice the shop marked as full
    (`simplified: false`) needs none; an invoice the shop did not mark either way is allowed
    (the shop decides). One open request per invoice.
    """
    number = (("number", invoice.number),)
    if invoice.kind != "invoice":
        return Decision.no(CREDIT_NOTE_NOT_EXCHANGED, code="not_an_invoice", params=number)
    if invoice.simplified is False:
        return Decision.no(ALREADY_FULL, code="already_full_invoice", params=number)
    if open_request:
        return Decision.no(ALREADY_REQUESTED, code="full_invoice_already_requested", params=number)
    return Decision.yes()


def suggested_credit_note_type(invoice: Invoice) -> str:
    """R5 corrects a simplified invoice, R1 a full one (VeriFactu TipoFactura; RD 1619/2012
    art. 15). When the shop did not say, an invoice without the buyer's tax id is taken as
    simplified: only a suggestion, the shop's invoicing decides."""
    if invoice.simplified is None:
        return "R5" if not invoice.buyer_tax_id else "R1"
    return "R5" if invoice.simplified else "R1"
