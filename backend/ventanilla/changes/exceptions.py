"""Refusals of self-service changes; each says why and what the shopper can do instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ventanilla.core.errors import Conflict, FieldErrors, NotFound

if TYPE_CHECKING:
    from ventanilla.changes.amounts import Problem


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


class AmendmentInvalid(FieldErrors):
    """An amendment that cannot be made as asked (unknown line, no stock...): 422 with fields.

    `problems` keeps each message as a msgid with its parameters, so pages can translate them.
    """

    code = "amendment_invalid"
    message = "Some of the changes cannot be made."

    def __init__(self, problems: list[Problem]):
        super().__init__([(("body", *p.loc), p.text, p.code) for p in problems])
        self.problems = problems
