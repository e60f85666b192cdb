"""Pure decisions about orders: which status moves are allowed, and when an order is locked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FLOW = ("placed", "paid", "processing", "packing", "packed", "shipped", "delivered")
CANCELLED = "cancelled"
FINAL = frozenset({"delivered", CANCELLED})
# From packing on, the warehouse works on the order: its content is frozen.
LOCKED = frozenset({"packing", "packed", "shipped", "delivered", CANCELLED})
CLAIMABLE = frozenset({"paid", "processing"})
CANCELLABLE = frozenset({"placed", "paid", "processing", "packing", "packed"})


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason_code: str | None = None
    message: str = ""

    @classmethod
    def yes(cls) -> Decision:
        return cls(True)

    @classmethod
    def no(cls, reason_code: str, message: str) -> Decision:
        return cls(False, reason_code, message)


def can_transition(current: str, target: str) -> Decision:
    """May a status event move an order from `current` to `target`? (Same status: yes, no-op.)"""
    if target == current:
        return Decision.yes()
    if current in FINAL:
        return Decision.no(
            "final_status", f"The order is {current}; its status cannot change any more."
        )
    if target == CANCELLED:
        if current in CANCELLABLE:
            return Decision.yes()
        return Decision.no(
            "cancel_after_shipping", f"The order is already {current}; it cannot be cancelled."
        )
    if target == "packing":
        return Decision.no(
            "packing_needs_claim",
            "Packing starts only with the warehouse's claim (POST /orders/{number}/packing).",
        )
    if target == "packed" and current != "packing":
        return Decision.no(
            "packed_needs_packing",
            f"An order is packed only after packing; it is {current}. Claim it for packing first.",
        )
    if target not in FLOW or current not in FLOW:
        return Decision.no("unknown_status", f"Unknown status move {current} -> {target}.")
    if FLOW.index(target) < FLOW.index(current):
        return Decision.no(
            "backwards",
            f"The order is already {current}; statuses only move forward, not back to {target}.",
        )
    return Decision.yes()


def can_claim_for_packing(current: str) -> Decision:
    """May the warehouse claim an order in `current` status for packing?"""
    if current in CLAIMABLE:
        return Decision.yes()
    if current == "placed":
        return Decision.no("not_paid", "The order is not paid yet.")
    if current == CANCELLED:
        return Decision.no("cancelled", "The order is cancelled.")
    return Decision.no("already_claimed", f"The order is already {current}.")


def can_update_content(current: str) -> Decision:
    """May the shop still change what the order contains (lines, addresses, totals...)?"""
    if current not in LOCKED:
        return Decision.yes()
    if current == CANCELLED:
        return Decision.no("cancelled", "The order is cancelled; its content cannot change.")
    return Decision.no(
        "packing_started",
        f"The order is {current}: packing has started, so its content cannot change any more.",
    )


def is_stale(current_status_at: datetime, event_at: datetime) -> bool:
    """An event older than the newest applied one never overwrites it."""
    return event_at < current_status_at
