"""Refusals of shopper access."""

from __future__ import annotations

from ventanilla.core.errors import AppError, Unauthorized
from ventanilla.orders import exceptions as orders_exceptions


class NoShopperSession(Unauthorized):
    """No valid shopper session: pages redirect to "find my order", JSON gets 401."""

    code = "no_session"
    message = "Open the link from your order email, or request a new one."


class LinkRejected(AppError):
    """A "my order" link that cannot be used; `order_number` is set only when it was signed."""

    status_code = 400
    code = "link_invalid"
    message = "This link is not valid."

    def __init__(self, message: str | None = None, *, order_number: str | None = None) -> None:
        super().__init__(message)
        self.order_number = order_number


class LinkInvalid(LinkRejected):
    pass


class LinkExpired(LinkRejected):
    status_code = 410
    code = "link_expired"
    message = "This link has expired."


class LinkSpent(LinkRejected):
    status_code = 410
    code = "link_spent"
    message = "This link has been used as many times as it allows."


class LinkRevoked(LinkRejected):
    status_code = 410
    code = "link_revoked"
    message = "This link has been withdrawn."


# Someone else's order and a missing one get the very same answer: the orders domain's 404.
OrderNotFound = orders_exceptions.OrderNotFound


class CodeNotNeeded(AppError):
    """An agent acting for the customer needs no code (none could reach them anyway)."""

    status_code = 409
    code = "code_not_needed"
    message = "An agent acting for the customer does not need a code."
