"""Units of work: work scheduled after commit runs only after a commit, and only where asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from ventanilla.config import Settings
from ventanilla.customers.models import Customer
from ventanilla.db import after_commit, session_scope


class TestAfterCommit:
    def test_runs_after_a_commit_that_wrote_what_it_needs(self, settings: Settings) -> None:
        seen: list[int] = []

        def count_customers() -> None:
            with session_scope(write=False) as s:
                seen.append(len(s.exec(select(Customer)).all()))

        jobs: list[Callable[[], Any]] = []
        with session_scope(run_after_commit=jobs.append) as s:
            s.add(Customer(email="after@example.com", name="After"))
            after_commit(s, count_customers)
            assert jobs == []  # nothing before the commit
        for job in jobs:
            job()
        assert seen == [1]

    def test_never_after_a_rollback(self, settings: Settings) -> None:
        jobs: list[Callable[[], Any]] = []
        with pytest.raises(RuntimeError), session_scope(run_after_commit=jobs.append) as s:
            after_commit(s, print)
            raise RuntimeError("the change failed")
        assert jobs == []

    def test_outside_a_request_nothing_runs_unless_asked(self, settings: Settings) -> None:
        ran: list[str] = []
        with session_scope() as s:
            after_commit(s, ran.append, "refund")
        assert ran == []
        with session_scope(run_after_commit=lambda job: job()) as s:
            after_commit(s, ran.append, "refund")
        assert ran == ["refund"]


class TestWriteLockOnlyWhereItWrites:
    """A request's unit of work reads first and takes SQLite's write lock at its first write."""

    def test_a_unit_that_has_only_read_does_not_hold_up_a_writer(self, settings: Settings) -> None:
        with session_scope(write=False) as reader:
            reader.exec(select(Customer)).all()
            started = time.monotonic()
            with session_scope() as writer:  # BEGIN IMMEDIATE: would wait 30 s for a holder
                writer.add(Customer(email="other@example.com", name="Other"))
            assert time.monotonic() - started < 1.0

    def test_a_write_after_another_commit_sees_it_and_does_not_fail(
        self, settings: Settings
    ) -> None:
        with session_scope() as s:
            s.add(Customer(email="first@example.com", name="First"))
        with session_scope(write=False) as request:
            assert len(request.exec(select(Customer)).all()) == 1  # its read snapshot
            with session_scope() as other:
                other.add(Customer(email="second@example.com", name="Second"))
            # In WAL mode a read transaction cannot upgrade once another writer committed
            # (SQLITE_BUSY_SNAPSHOT); the unit of work starts a write transaction instead.
            request.add(Customer(email="third@example.com", name="Third"))
            request.flush()
            emails = {c.email for c in request.exec(select(Customer)).all()}
        assert emails == {"first@example.com", "second@example.com", "third@example.com"}

    def test_the_lock_is_handed_on_after_a_rollback(self, settings: Settings) -> None:
        with pytest.raises(RuntimeError), session_scope(write=False) as failing:
            failing.add(Customer(email="gone@example.com", name="Gone"))
            failing.flush()  # holds the write lock now
            raise RuntimeError("the change failed")
        results: list[float] = []

        def write() -> None:
            started = time.monotonic()
            with session_scope() as s:
                s.add(Customer(email="next@example.com", name="Next"))
            results.append(time.monotonic() - started)

        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=10)
        assert results and results[0] < 1.0
        with session_scope(write=False) as s:
            assert [c.email for c in s.exec(select(Customer)).all()] == ["next@example.com"]
