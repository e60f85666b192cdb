"""`ventanilla worker`: runs every domain's registered periodic jobs (`core.tasks`), forever.

Each pass runs the jobs that are due, in their registered order: refunds first
(`payments.tasks`), the domains' clean-ups (`changes.tasks`, `access.tasks`), sending the outbox
last (`outbox.tasks`). The worker knows no domain: it imports their `tasks` modules
(`ventanilla.discovery`) and calls what they registered. In demo mode the same loop runs in a
thread inside `ventanilla serve`.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from types import FrameType
from typing import Any

from ventanilla import discovery
from ventanilla.config import get_settings
from ventanilla.core import clock, tasks

log = logging.getLogger("ventanilla.worker")


def run_pass(now: datetime | None = None) -> tasks.PassResult:
    """Run every registered job that is due once; what each did is in the result."""
    discovery.load("tasks")
    return tasks.run_due(now or clock.now())


def run_forever(stop: threading.Event | None = None, *, handle_signals: bool = True) -> None:
    """Run passes, sleeping `worker_poll_seconds` between them, until SIGTERM/SIGINT (or
    `stop` is set). A pass that left work waiting (a full batch) is followed at once."""
    stop = stop or threading.Event()
    restore: list[tuple[int, Any]] = []
    if handle_signals and threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("outbox worker stopping (signal %d)", signum)
            stop.set()

        for handled in (signal.SIGTERM, signal.SIGINT):
            restore.append((handled, signal.signal(handled, _on_signal)))
    log.info("outbox worker started")
    try:
        while not stop.is_set():
            try:
                more_waiting = run_pass().more_waiting
            except Exception:
                # A database hiccup must not kill the worker: log it and try again next round.
                log.exception("worker pass failed")
                more_waiting = False
            if not more_waiting:
                stop.wait(get_settings().worker_poll_seconds)
    finally:
        for number, previous in restore:
            signal.signal(number, previous)
        log.info("outbox worker stopped")


class BackgroundWorker:
    """The worker loop in a daemon thread (demo mode runs it inside `ventanilla serve`)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run_forever,
            kwargs={"stop": self._stop, "handle_signals": False},
            name="worker",
            daemon=True,
        )

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


def start_in_background() -> BackgroundWorker:
    """Start the worker loop in a daemon thread; call stop() on shutdown."""
    return BackgroundWorker().start()
