"""Pure decisions about orders: which status moves are allowed, when an order is locked, and
whether a shopper (or an agent for them) may still edit it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ventanilla.config import ShopPolicy, get_settings
from ventanilla.core import clock
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders.models import Order

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


# --- may the shopper still edit the order (address, items; later: cancel) ------------------

# Every reason an edit can be refused for, as msgids (pages translate them; the catalogs carry
# them from here). The decision's code is the JSON `code` on every route that refuses an edit.
EDIT_REFUSALS = {
    "cancelled": N_("The order is cancelled."),
    # No promise of what the portal cannot do yet (returns): the shop is who can help.
    "packing_started": N_(
        "The warehouse started packing your order, so it can no longer be changed here. "
        "For anything else, please contact the shop."
    ),
    "packing_started_at": N_(
        "The warehouse started packing your order at %(time)s, so it can no longer be changed "
        "here. For anything else, please contact the shop."
    ),
    "already_shipped": N_(
        "Your order has already left the warehouse, so it can no longer be changed here. "
        "For anything else, please contact the shop."
    ),
    # Code `already_shipped` too (stable JSON code); said for an order already delivered.
    "delivered": N_("Your order has been delivered, so it can no longer be changed."),
    "not_editable": N_("This order can no longer be changed online."),
    "edit_window_closed": N_("Orders can be changed up to %(hours)s hours after they are placed."),
    "order_changed": N_(
        "The order changed while you were editing it. Please review it and try again."
    ),
    "change_in_progress": N_(
        "Another change to this order is in progress. Finish or cancel it first."
    ),
    "payment_failed": N_("The payment did not go through, so your order was not changed."),
    "expired": N_("This change was not confirmed in time, so it was withdrawn."),
}


def _no(code: str) -> Decision:
    return Decision.no(EDIT_REFUSALS[code], code=code)


def _shop_time(at: datetime, now: datetime) -> str:
    """10:42 today, 20/11 10:42 before: in the shop's time zone, readable in es and en."""
    local, today = clock.shop_local(at), clock.shop_local(now)
    return local.strftime("%H:%M" if local.date() == today.date() else "%d/%m %H:%M")


def can_edit(order: Order, now: datetime, *, policy: ShopPolicy | None = None) -> Decision:
    """May the shopper change the address or the items of `order` now (shop policy cut-off)?

    `policy` defaults to the shop's configured policy (`VENTANILLA_POLICY_FILE`).
    """
    policy = policy or get_settings().policy()
    if order.status == "cancelled":
        return _no("cancelled")
    if order.status not in policy.editable_statuses:
        if order.status in ("packing", "packed"):
            if order.packing_claimed_at is not None:
                return Decision.no(
                    EDIT_REFUSALS["packing_started_at"],
                    code="packing_started",
                    params=(("time", _shop_time(order.packing_claimed_at, now)),),
                )
            return _no("packing_started")
        if order.status == "delivered":
            return Decision.no(EDIT_REFUSALS["delivered"], code="already_shipped")
        if order.status == "shipped":
            return _no("already_shipped")
        return _no("not_editable")
    if policy.edit_window_hours is not None:
        # A difference, not placed_at + window: a stored year-9999 time must not overflow.
        if now - order.placed_at > timedelta(hours=policy.edit_window_hours):
            return Decision.no(
                EDIT_REFUSALS["edit_window_closed"],
                code="edit_window_closed",
                params=(("hours", str(policy.edit_window_hours)),),
            )
    return Decision.yes()
