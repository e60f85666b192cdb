"""The outbox's job in the worker: send what is due (every pass, last, after the jobs that may
queue messages in the same pass)."""

from __future__ import annotations

from datetime import datetime

from ventanilla.core import tasks
from ventanilla.outbox import sender


@tasks.register("outbox.send", position=1000, batch=sender.BATCH)
def send_due(now: datetime) -> int:
    """Send due emails and webhooks; returns how many were attempted."""
    return sender.drain_once()
