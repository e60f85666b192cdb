"""Errors of the returns domain (refusals of a rule are `core.errors.Refused`)."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, FieldErrors, NotFound


class ReturnNotFound(NotFound):
    code = "return_not_found"
    message = "There is no return with this number."


class ReturnInvalid(FieldErrors):
    """A selection or a shop's input that breaks a rule: 422 by field, nothing changed."""

    code = "return_invalid"
    message = "Please check the items and quantities."


class ReturnDeclined(Conflict):
    code = "return_declined"
    message = "This return was declined; it cannot be received or refunded."


class ReturnAlreadyReceived(Conflict):
    code = "return_already_received"
    message = "The goods of this return were already received; it can no longer be declined."
