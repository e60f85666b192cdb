"""Refusals of item amendments; each says why and what the shopper can do instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ventanilla.core.errors import FieldErrors, NotFound

if TYPE_CHECKING:
    from ventanilla.changes.amendments import Problem

# The edit refusals every change shares (ChangeNotAllowed, OrderChanged, ChangeInProgress) live
# with the order aggregate: ventanilla.orders.exceptions.


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
