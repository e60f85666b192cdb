"""Several workers at once: SKIP LOCKED hands each message to exactly one of them (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.outbox.helpers import add_endpoint, message
from tests.servers import WebhookReceiver
from ventanilla.config import Settings
from ventanilla.db import session_scope
from ventanilla.outbox import sender, service
from ventanilla.outbox.models import OutboxMessage

NEEDS_POSTGRES = "SQLite has no row locks: it serialises writers, so there is no race to test"


def emit_many(count: int) -> list[str]:
    with session_scope() as session:
        return [
            m.id
            for n in range(count)
            for m in service.emit_event(session, type="order.amended", data={"n": n})
        ]


def in_thread(target: object, results: list[object]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())  # type: ignore[operator]
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            results.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class TestSkipLocked:
    def test_a_message_locked_by_another_worker_is_skipped_not_waited_for(
        self, backend: str, engine: Engine, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        if backend == "sqlite":
            pytest.skip(NEEDS_POSTGRES)
        add_endpoint(webhook_receiver.url)
        held, free = emit_many(2)

        with Session(engine) as other_worker:
            stmt = select(OutboxMessage).where(OutboxMessage.id == held).with_for_update()
            other_worker.exec(stmt).one()  # row lock held until this transaction ends
            results: list[object] = []
            thread = in_thread(sender.drain_once, results)
            thread.join(timeout=60)
            assert not thread.is_alive(), "drain_once waited for the locked row"
            assert results == [1]
            other_worker.rollback()

        assert [r.headers["webhook-id"] for r in webhook_receiver.requests] == [free]
        assert message(held).status == "pending"
        assert sender.drain_once() == 1
        assert message(held).status == "sent"

    def test_concurrent_drains_never_send_the_same_message_twice(
        self, backend: str, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        if backend == "sqlite":
            pytest.skip(NEEDS_POSTGRES)
        add_endpoint(webhook_receiver.url)
        ids = emit_many(60)
        start = threading.Barrier(4)
        results: list[object] = []

        def drain_all() -> int:
            start.wait()
            total = 0
            while (n := sender.drain_once(limit=5)) > 0:
                total += n
            return total

        threads = [in_thread(drain_all, results) for _ in range(4)]
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)

        assert all(isinstance(r, int) for r in results), results
        assert sum(results) == 60  # type: ignore[arg-type]
        sent = Counter(r.headers["webhook-id"] for r in webhook_receiver.requests)
        assert sorted(sent) == sorted(ids)
        assert set(sent.values()) == {1}
        assert {message(i).status for i in ids} == {"sent"}


class TestSerialisedOnSqlite:
    def test_a_second_drain_finds_nothing_the_first_already_claimed(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        """Both databases: a claimed (leased) message is invisible to the next drain."""
        add_endpoint(webhook_receiver.url)
        (message_id,) = emit_many(1)
        claimed = sender._claim(sender.clock.now(), 10, settings)
        assert [c.id for c in claimed] == [message_id]
        assert sender.drain_once() == 0
        assert message(message_id).locked_until is not None
