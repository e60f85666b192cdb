"""The worker's periodic jobs: each domain registers its own in its `tasks.py`.

    from ventanilla.core import tasks

    @tasks.register("changes.expire_abandoned", every=timedelta(minutes=1), position=30)
    def expire_abandoned(now: datetime) -> int:
        ...

The worker (`ventanilla.worker`) imports every domain's `tasks` module and, on each pass, runs
the tasks whose interval has passed, in `position` order. A task opens its own units of work
(`db.session_scope`), never calls another domain's internals, returns how much it did, and
must be safe to run twice (several workers may run at once). A task that fails is logged and
tried again on a later pass; it never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger("ventanilla.worker")

TaskFunction = Callable[[datetime], int]


@dataclass(frozen=True)
class Task:
    name: str
    run: TaskFunction
    every: timedelta  # zero: on every pass
    position: int
    # A pass that did this much of it leaves more waiting: the worker goes again at once.
    batch: int | None = None


_registry: dict[str, Task] = {}
_last_run: dict[str, datetime] = {}


def register(
    name: str, *, every: timedelta = timedelta(0), position: int = 100, batch: int | None = None
) -> Callable[[TaskFunction], TaskFunction]:
    """Register a periodic task (a decorator); registering a name again replaces it."""

    def decorate(function: TaskFunction) -> TaskFunction:
        _registry[name] = Task(name, function, every, position, batch)
        return function

    return decorate


def registered() -> list[Task]:
    return sorted(_registry.values(), key=lambda t: (t.position, t.name))


def forget_runs() -> None:
    """Make every task due again (tests, and a worker that starts)."""
    _last_run.clear()


@dataclass(frozen=True)
class PassResult:
    done: dict[str, int]  # task name -> what it did (tasks not due are absent)
    more_waiting: bool  # some task filled its batch


def run_due(now: datetime) -> PassResult:
    """Run every task whose interval has passed, in position order."""
    done: dict[str, int] = {}
    more = False
    for task in registered():
        last = _last_run.get(task.name)
        # Not due yet; a clock that went back (a frozen test clock, NTP) makes it due.
        if last is not None and timedelta(0) <= now - last < task.every:
            continue
        _last_run[task.name] = now
        try:
            count = int(task.run(now) or 0)
        except Exception:
            log.exception("task %s: pass failed", task.name)
            continue
        done[task.name] = count
        more = more or (task.batch is not None and count >= task.batch)
    return PassResult(done, more)
