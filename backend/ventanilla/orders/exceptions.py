"""Order refusals; the JSON body carries `code` and a `detail` that says why."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "Order not found."


class OrderLocked(Conflict):
    """The order's content is frozen (packing started, or cancelled)."""

    code = "order_locked"
    message = "The order can no longer be changed."


class IllegalTransition(Conflict):
    code = "illegal_transition"
    message = "This status change is not allowed."


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    message = "The order has already been claimed for packing."


class OrderNotPaid(Conflict):
    code = "order_not_paid"
    message = "The order is not paid yet."


class OrderCancelled(Conflict):
    code = "order_cancelled"
    message = "The order is cancelled."
