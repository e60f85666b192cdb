"""Response models of the payments routes."""

from __future__ import annotations

from pydantic import BaseModel


class StripeWebhookRead(BaseModel):
    """The answer Stripe gets: 2xx means "do not send this event again"."""

    received: bool = True
    duplicate: bool = False  # this event id was handled before: nothing changed
    handled: bool = False  # the event changed one of our payments
