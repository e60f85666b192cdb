"""Pure decisions about self-service changes: may this order still be changed now, and why not."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ventanilla.config import ShopPolicy, get_settings
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders import actions
from ventanilla.orders.models import Order

# Every reason a change can be refused for, as msgids (pages translate them; the catalogs carry
# them from here). Policy decisions and the conflicts raised by the services share these codes.
REFUSAL_MESSAGES = {
    "cancelled": N_("The order is cancelled."),
    "packing_started": N_(
        "The warehouse started packing your order; you can return items after delivery."
    ),
    "packing_started_at": N_(
        "The warehouse started packing your order at %(time)s; you can return items after delivery."
    ),
    "already_shipped": N_(
        "Your order has already left the warehouse; you can return items after delivery."
    ),
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
    return Decision.no(REFUSAL_MESSAGES[code], code=code)


def _shop_time(at: datetime, now: datetime) -> str:
    """10:42 today, 20/11 10:42 before: in the shop's time zone, readable in es and en."""
    tz = ZoneInfo(get_settings().timezone)
    local, today = at.astimezone(tz), now.astimezone(tz)
    return local.strftime("%H:%M" if local.date() == today.date() else "%d/%m %H:%M")


def edit_action(ctx: actions.ActionContext) -> Decision:
    """The "what you can do now" answer for changing an order (address or items): no queries."""
    return can_edit(ctx.order, now=ctx.now, policy=get_settings().policy())


def can_edit(order: Order, *, now: datetime, policy: ShopPolicy) -> Decision:
    """May the shopper change the address or the items of `order` now (shop policy cut-off)?"""
    if order.status == "cancelled":
        return _no("cancelled")
    if order.status not in policy.editable_statuses:
        if order.status in ("packing", "packed"):
            if order.packing_claimed_at is not None:
                return Decision.no(
                    REFUSAL_MESSAGES["packing_started_at"],
                    code="packing_started",
                    params=(("time", _shop_time(order.packing_claimed_at, now)),),
                )
            return _no("packing_started")
        if order.status in ("shipped", "delivered"):
            return _no("already_shipped")
        return _no("not_editable")
    if policy.edit_window_hours is not None:
        deadline = order.placed_at + timedelta(hours=policy.edit_window_hours)
        if now > deadline:
            return Decision.no(
                REFUSAL_MESSAGES["edit_window_closed"],
                code="edit_window_closed",
                params=(("hours", str(policy.edit_window_hours)),),
            )
    return Decision.yes()
