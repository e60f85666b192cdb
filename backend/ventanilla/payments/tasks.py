"""Payments' job in the worker: make the refunds that are due (first in each pass, so a refund
given up on has its email to the shop sent in that same pass)."""

from __future__ import annotations

from datetime import datetime

from ventanilla.core import tasks
from ventanilla.payments import refunds


@tasks.register("payments.refunds", position=10)
def make_due_refunds(now: datetime) -> int:
    """Make the due pending refunds (claimed under lock, Stripe called outside transactions)."""
    return refunds.execute_refunds()
