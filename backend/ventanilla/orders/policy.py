"""Pure decisions about orders: which status moves are allowed, and when an order is locked."""

from __future__ import annotations

from datetime import datetime

from ventanilla.core.decisions import Decision

FLOW = ("placed", "paid", "processing", "packing", "packed", "shipped", "delivered")
CANCELLED = "cancelled"
FINAL = frozenset({"delivered", CANCELLED})
# From packing on, the warehouse works on the order: its content is frozen.
LOCKED = frozenset({"packing", "packed", "shipped", "delivered", CANCELLED})
CLAIMABLE = frozenset({"paid", "processing"})
CANCELLABLE = frozenset({"placed", "paid", "processing", "packing", "packed"})


def can_transition(current: str, target: str) -> Decision:
    """May a status event move an order from `current` to `target`? (Same status: yes, no-op.)"""
    if target == current:
        return Decision.yes()
    if current in FINAL:
        return Decision.no(
            f"The order is {current}; its status cannot change any more.", code="final_status"
        )
    if target == CANCELLED:
        if current in CANCELLABLE:
            return Decision.yes()
        return Decision.no(
            f"The order is already {current}; it cannot be cancelled.", code="cancel_after_shipping"
        )
    if target == "packing":
        return Decision.no(
            "Packing starts only with the warehouse's claim (POST /orders/{number}/packing).",
            code="packing_needs_claim",
        )
    if target == "packed" and current != "packing":
        return Decision.no(
            f"An order is packed only after packing; it is {current}. Claim it for packing first.",
            code="packed_needs_packing",
        )
    if target not in FLOW or current not in FLOW:
        return Decision.no(f"Unknown status move {current} -> {target}.", code="unknown_status")
    if FLOW.index(target) < FLOW.index(current):
        return Decision.no(
            f"The order is already {current}; statuses only move forward, not back to {target}.",
            code="backwards",
        )
    return Decision.yes()


def can_claim_for_packing(current: str) -> Decision:
    """May the warehouse claim an order in `current` status for packing?"""
    if current in CLAIMABLE:
        return Decision.yes()
    if current == "placed":
        return Decision.no("The order is not paid yet.", code="not_paid")
    if current == CANCELLED:
        return Decision.no("The order is cancelled.", code="cancelled")
    return Decision.no(f"The order is already {current}.", code="already_claimed")


def can_update_content(current: str) -> Decision:
    """May the shop still change what the order contains (lines, addresses, totals...)?"""
    if current not in LOCKED:
        return Decision.yes()
    if current == CANCELLED:
        return Decision.no("The order is cancelled; its content cannot change.", code="cancelled")
    return Decision.no(
        f"The order is {current}: packing has started, so its content cannot change any more.",
        code="packing_started",
    )


def is_stale(current_status_at: datetime, event_at: datetime) -> bool:
    """An event older than the newest applied one never overwrites it."""
    return event_at < current_status_at
