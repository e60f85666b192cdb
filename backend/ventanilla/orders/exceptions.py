"""Order refusals; the JSON body carries `code` and a `detail` that says why."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound, Refused


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


# --- shopper and agent edits (orders.edits) -------------------------------------------------


class ChangeNotAllowed(Refused):
    """The edit policy says no (packing started, window closed...); `code` says which."""

    code = "change_not_allowed"
    message = "This order can no longer be changed online."


class OrderChanged(Conflict):
    """The order moved on since the shopper loaded it (another tab, the shop, the warehouse)."""

    code = "order_changed"
    message = "The order changed while you were editing it. Please review it and try again."


class ChangeInProgress(Conflict):
    code = "change_in_progress"
    message = "Another change to this order is in progress. Finish or cancel it first."
