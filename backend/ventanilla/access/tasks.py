"""Access's job in the worker: forget rate-limit windows nobody can hit any more."""

from __future__ import annotations

from datetime import datetime, timedelta

from ventanilla.core import ratelimit, tasks
from ventanilla.db import session_scope

KEEP = timedelta(days=1)


@tasks.register("access.purge_rate_limits", every=timedelta(minutes=1), position=90)
def purge_rate_limits(now: datetime) -> int:
    """Delete rate-limit counters whose window started over a day ago."""
    with session_scope() as session:
        return ratelimit.purge(session, older_than=now - KEEP)
