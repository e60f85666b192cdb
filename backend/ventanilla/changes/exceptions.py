"""Refusals of self-service changes; each says why and what the shopper can do instead."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound


class ChangeNotAllowed(Conflict):
    """The policy says no (packing started, window closed...); message explains it."""

    code = "change_not_allowed"
    message = "This order can no longer be changed online."


class OrderChanged(Conflict):
    """The order moved on since the shopper loaded it (another tab, the shop, the warehouse)."""

    code = "order_changed"
    message = "The order changed while you were editing it. Please review it and try again."


class ChangeInProgress(Conflict):
    code = "change_in_progress"
    message = "Another change to this order is in progress. Finish or cancel it first."


class ChangeNotFound(NotFound):
    code = "change_not_found"
    message = "Change not found."
