"""The worker's task registry: order, intervals, failures that stop nothing, full batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ventanilla.core import tasks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def own_registry() -> Iterator[list[str]]:
    """An empty registry for the test; the domains' tasks come back afterwards."""
    saved, last = dict(tasks._registry), dict(tasks._last_run)
    tasks._registry.clear()
    tasks._last_run.clear()
    ran: list[str] = []
    yield ran
    tasks._registry.clear()
    tasks._registry.update(saved)
    tasks._last_run.clear()
    tasks._last_run.update(last)


def add(name: str, ran: list[str], *, result: int = 0, **options: object) -> None:
    def run(now: datetime) -> int:
        ran.append(name)
        return result

    tasks.register(name, **options)(run)  # type: ignore[arg-type]


class TestRunDue:
    def test_tasks_run_in_position_order(self, own_registry: list[str]) -> None:
        add("last", own_registry, position=1000)
        add("first", own_registry, position=10)
        add("middle", own_registry, position=20)
        assert tasks.run_due(T0).done == {"first": 0, "middle": 0, "last": 0}
        assert own_registry == ["first", "middle", "last"]

    def test_a_task_waits_for_its_interval(self, own_registry: list[str]) -> None:
        add("minutely", own_registry, every=timedelta(minutes=1))
        add("always", own_registry)
        tasks.run_due(T0)
        tasks.run_due(T0 + timedelta(seconds=30))
        tasks.run_due(T0 + timedelta(minutes=1))
        assert own_registry.count("minutely") == 2 and own_registry.count("always") == 3

    def test_a_clock_that_went_back_makes_a_task_due(self, own_registry: list[str]) -> None:
        add("minutely", own_registry, every=timedelta(minutes=1))
        tasks.run_due(T0 + timedelta(hours=1))  # a frozen clock in the future
        tasks.run_due(T0)
        assert own_registry == ["minutely", "minutely"]

    def test_a_failing_task_is_logged_and_the_others_still_run(
        self, own_registry: list[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        def broken(now: datetime) -> int:
            raise RuntimeError("boom")

        tasks.register("broken", position=1)(broken)
        add("after", own_registry, position=2)
        result = tasks.run_due(T0)
        assert result.done == {"after": 0}
        assert own_registry == ["after"] and "task broken: pass failed" in caplog.text

    def test_a_full_batch_says_more_is_waiting(self, own_registry: list[str]) -> None:
        add("sender", own_registry, result=50, batch=50)
        assert tasks.run_due(T0).more_waiting
        add("sender", own_registry, result=3, batch=50)
        assert not tasks.run_due(T0 + timedelta(seconds=1)).more_waiting
