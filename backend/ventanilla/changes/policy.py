"""Pure decisions about self-service changes: may this order still be changed now, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ventanilla.config import ShopPolicy
from ventanilla.orders.models import Order


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason_code: str | None = None
    # English msgid for the shopper (translated by pages); %(...)s params in `params`.
    message: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def yes(cls) -> Decision:
        return cls(True)


def can_edit(order: Order, *, now: datetime, policy: ShopPolicy) -> Decision:
    """May the shopper change the address or the items of `order` now (shop policy cut-off)?"""
    if order.status == "cancelled":
        return Decision(False, "cancelled", "The order is cancelled.")
    if order.status not in policy.editable_statuses:
        if order.status in ("packing", "packed"):
            return Decision(
                False,
                "packing_started",
                "The warehouse started packing your order; you can return items after delivery.",
            )
        if order.status in ("shipped", "delivered"):
            return Decision(
                False,
                "already_shipped",
                "Your order has already left the warehouse; you can return items after delivery.",
            )
        return Decision(False, "not_editable", "This order can no longer be changed online.")
    if policy.edit_window_hours is not None:
        deadline = order.placed_at + timedelta(hours=policy.edit_window_hours)
        if now > deadline:
            return Decision(
                False,
                "edit_window_closed",
                "Orders can be changed up to %(hours)s hours after they are placed.",
                (("hours", str(policy.edit_window_hours)),),
            )
    return Decision.yes()
