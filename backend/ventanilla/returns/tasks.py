"""The returns jobs in the worker: mark the cases whose ledger refund went through refunded,
and warn the shop 4 days before a withdrawal's 14-day refund deadline (TRLGDCU art. 107.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ventanilla.core import tasks
from ventanilla.returns import store


@tasks.register("returns.refund_outcomes", every=timedelta(minutes=1), position=45)
def refund_outcomes_task(now: datetime) -> int:
    """The worker's entry: see `store.record_refund_outcomes`."""
    return store.record_refund_outcomes(now)


@tasks.register("returns.deadline_alarms", every=timedelta(hours=1), position=46)
def deadline_alarms_task(now: datetime) -> int:
    """The worker's entry: see `store.warn_refund_deadlines`."""
    return store.warn_refund_deadlines(now)
