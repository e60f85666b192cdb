"""The returns job in the worker: mark the cases whose ledger refund went through refunded."""

from __future__ import annotations

from datetime import datetime, timedelta

from ventanilla.core import tasks
from ventanilla.returns import store


@tasks.register("returns.refund_outcomes", every=timedelta(minutes=1), position=45)
def refund_outcomes_task(now: datetime) -> int:
    """The worker's entry: see `store.record_refund_outcomes`."""
    return store.record_refund_outcomes(now)
