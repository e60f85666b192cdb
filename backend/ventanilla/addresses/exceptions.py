"""Refusals of a delivery address change (the policy ones are in changes.exceptions)."""

from __future__ import annotations

from ventanilla.core.errors import FieldErrors, Forbidden
from ventanilla.orders.address_rules import Problem


class VerificationRequired(Forbidden):
    """No recent proof of access to the order's email: pages turn this into the code step."""

    code = "verification_required"
    message = (
        "Confirm it is you first: ask for a 6-digit code (POST /api/v1/me/access-codes), it is "
        "emailed to the address on the order, then send it to /api/v1/me/access-codes/verify."
    )


class AddressInvalid(FieldErrors):
    """The new address breaks a rule; `problems` keeps the msgids for the pages to translate."""

    message = "Some fields of the address are not valid."

    def __init__(self, problems: dict[str, Problem], values: dict[str, str]) -> None:
        super().__init__(
            [
                (("body", "address", name), problem.text(), problem.kind)
                for name, problem in problems.items()
            ]
        )
        self.problems = problems
        self.values = values
