"""`ventanilla worker`: drains the outbox (filled in by the outbox work)."""

from __future__ import annotations

import threading


class BackgroundWorker:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def start_in_background() -> BackgroundWorker:
    return BackgroundWorker()
