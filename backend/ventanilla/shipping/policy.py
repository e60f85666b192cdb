"""Pure decisions about shipments: what may ship, how lines are allocated, which status wins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ventanilla.core.decisions import Decision
from ventanilla.orders.models import Order, OrderLine

# Carrier clocks and time zones are often off by hours; a day ahead is clearly a mistake, and
# accepting it would pin the shipment's status (an older event never overrides a newer one).
MAX_FUTURE_SKEW = timedelta(hours=24)

FieldError = tuple[tuple[str | int, ...], str, str]


def can_ship(order: Order) -> Decision:
    """A cancelled order cannot get a shipment; any other status can (shops ship as they go)."""
    if order.status == "cancelled":
        return Decision.no("The order is cancelled.", code="order_cancelled")
    return Decision.yes()


@dataclass(frozen=True)
class Allocation:
    order_line_id: int
    quantity: int


def remaining_by_line(lines: Sequence[OrderLine], shipped: dict[int, int]) -> dict[int, int]:
    """Quantity still to ship per order line id."""
    return {
        line.id: max(line.quantity - shipped.get(line.id, 0), 0)
        for line in lines
        if line.id is not None
    }


def allocate(
    requested: Sequence[tuple[str, int]] | None,
    lines: Sequence[OrderLine],
    shipped: dict[int, int],
) -> tuple[list[Allocation], list[FieldError]]:
    """Map (sku, quantity) requests onto order lines, or the errors that prevent it.

    `requested=None` means "everything not shipped yet". A sku on several order lines is filled
    line by line in order.
    """
    remaining = remaining_by_line(lines, shipped)
    if requested is None:
        allocations = [Allocation(lid, qty) for lid, qty in remaining.items() if qty > 0]
        if not allocations:
            return [], [
                (
                    ("body", "lines"),
                    "Everything on this order has already shipped; list the lines of this "
                    "shipment explicitly.",
                    "nothing_to_ship",
                )
            ]
        return allocations, []

    errors: list[FieldError] = []
    allocations = []
    by_sku: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_sku.setdefault(line.sku, []).append(line)
    seen: set[str] = set()
    for index, (sku, quantity) in enumerate(requested):
        loc: tuple[str | int, ...] = ("body", "lines", index)
        if sku in seen:
            errors.append((loc + ("sku",), f"SKU {sku!r} is listed twice.", "duplicate_sku"))
            continue
        seen.add(sku)
        candidates = by_sku.get(sku)
        if not candidates:
            errors.append((loc + ("sku",), f"SKU {sku!r} is not on this order.", "unknown_sku"))
            continue
        ordered = sum(line.quantity for line in candidates)
        left = sum(remaining.get(line.id or 0, 0) for line in candidates)
        if quantity > left:
            errors.append(
                (
                    loc + ("quantity",),
                    f"Only {left} of SKU {sku!r} left to ship "
                    f"(ordered {ordered}, already shipped {ordered - left}).",
                    "quantity_exceeds_remaining",
                )
            )
            continue
        wanted = quantity
        for line in candidates:
            take = min(wanted, remaining.get(line.id or 0, 0))
            if take > 0 and line.id is not None:
                allocations.append(Allocation(line.id, take))
                wanted -= take
            if wanted == 0:
                break
    return (allocations if not errors else []), errors


def future_event_errors(occurred: Iterable[datetime], now: datetime) -> list[FieldError]:
    """Tracking events dated too far ahead of now."""
    limit = now + MAX_FUTURE_SKEW
    return [
        (
            ("body", "events", index, "occurred_at"),
            "The event is dated more than 24 hours in the future.",
            "in_future",
        )
        for index, at in enumerate(occurred)
        if at > limit
    ]


def newest_status(
    current: tuple[datetime, str] | None, arrivals: Sequence[tuple[datetime, str]]
) -> str | None:
    """Status of the newest event by time; on a tie the later arrival wins, an older never does."""
    best = current
    for at, status in arrivals:
        if best is None or at >= best[0]:
            best = (at, status)
    return best[1] if best else None
