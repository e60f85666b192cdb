"""Pure checks on an invoice: its arithmetic, its content hash, what a credit note may do."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import InvoiceCreate

FieldError = tuple[tuple[str | int, ...], str, str]


def content_hash(data: InvoiceCreate) -> str:
    """SHA-256 of the canonical content: the same invoice pushed again hashes the same."""
    canonical = json.dumps(
        data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
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
