"""Units of work: work scheduled after commit runs only after a commit, and only where asked."""

from __future__ import annotations

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
