"""Rate limits: the fixed-window counter, and find-my-order per address, order and IP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.access.helpers import post_form
from tests.conftest import make_settings
from tests.factories import make_customer, make_order
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock, ratelimit
from ventanilla.core.ratelimit import RateLimitHit
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.outbox.models import OutboxMessage

T0 = datetime(2026, 6, 1, 10, 20, tzinfo=UTC)  # 40 minutes before the hour's window ends


def sent(session: Session) -> int:
    session.commit()
    return len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all())


class TestCounter:
    def test_counts_within_the_window_and_restarts_in_the_next(self, settings: Settings) -> None:
        limit = ratelimit.Limit("k", limit=3)
        with session_scope() as s:
            hits = [ratelimit.hit(s, limit, now=T0 + timedelta(minutes=i)) for i in range(4)]
        assert [h.count for h in hits] == [1, 2, 3, 4]
        assert [h.allowed for h in hits] == [True, True, True, False]
        assert hits[-1].retry_after == (40 - 3) * 60
        with session_scope() as s:
            later = ratelimit.hit(s, limit, now=T0 + timedelta(minutes=45))
        assert (later.count, later.allowed) == (1, True)

    def test_enforce_raises_with_retry_after_and_keys_are_separate(
        self, settings: Settings
    ) -> None:
        with session_scope() as s:
            for _ in range(2):
                ratelimit.enforce(s, [ratelimit.Limit("a", 2), ratelimit.Limit("b", 5)], now=T0)
            with pytest.raises(ratelimit.RateLimited) as caught:
                ratelimit.enforce(s, [ratelimit.Limit("a", 2), ratelimit.Limit("b", 5)], now=T0)
        assert caught.value.retry_after == 40 * 60
        assert caught.value.minutes == 40

    def test_concurrent_hits_are_all_counted(self, settings: Settings) -> None:
        barrier = threading.Barrier(10)

        def work() -> None:
            barrier.wait()
            for _ in range(5):
                with session_scope() as s:
                    ratelimit.hit(s, ratelimit.Limit("busy", 1000), now=T0)

        threads = [threading.Thread(target=work) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with session_scope(write=False) as s:
            assert s.exec(select(RateLimitHit)).one().count == 50

    def test_purge_deletes_old_windows(self, settings: Settings) -> None:
        with session_scope() as s:
            ratelimit.hit(s, ratelimit.Limit("old", 5), now=T0 - timedelta(days=2))
            ratelimit.hit(s, ratelimit.Limit("new", 5), now=T0)
            assert ratelimit.purge(s, older_than=T0 - timedelta(days=1)) == 1


@pytest.fixture
def order(session: Session) -> Order:
    customer = make_customer(session, email="ana@example.com")
    made = make_order(session, customer=customer, number="ES-7001")
    session.commit()
    return made


class TestFindMyOrderLimits:
    def test_per_address_429_after_five_with_retry_after(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        with clock.frozen(T0):
            for n in range(5):
                response = post_form(
                    client, "/find", {"order_number": f"ES-00{n}", "email": "ana@example.com"}
                )
                assert response.status_code == 303
            refused = post_form(
                client, "/find", {"order_number": "ES-7001", "email": "ANA@example.com"}
            )
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(40 * 60)
        assert "40" in refused.text and 'role="alert"' in refused.text
        assert sent(session) == 0  # even the matching attempt sends nothing

    def test_per_order_429_after_five_whatever_the_address(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        with clock.frozen(T0):
            for n in range(5):
                post_form(client, "/find", {"order_number": "ES-7001", "postcode": f"2800{n}"})
            refused = post_form(
                client, "/find", {"order_number": "es-7001", "email": "ana@example.com"}
            )
            assert refused.status_code == 429
            assert sent(session) == 0
            # The next window lets the shopper in again.
            clock.advance(timedelta(minutes=41))
            allowed = post_form(
                client, "/find", {"order_number": "ES-7001", "email": "ana@example.com"}
            )
        assert allowed.status_code == 303
        assert sent(session) == 1

    def test_a_refused_attempt_changes_nothing(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        with clock.frozen(T0):
            for _ in range(6):
                post_form(client, "/find", {"order_number": "ES-7001", "postcode": "11111"})
        session.commit()
        counts = {row.count for row in session.exec(select(RateLimitHit)).all()}
        assert counts == {5}


@pytest.fixture
def tight_ip_limit(db_url: str, tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(db_url, tmp_path / "var", find_order_ip_limit_per_hour=3)
    use_settings(s)
    yield s
    use_settings(None)


def test_per_client_ip_limit(tight_ip_limit: Settings) -> None:
    from ventanilla.app import create_app

    with TestClient(create_app(tight_ip_limit)) as client, clock.frozen(T0):
        codes = [
            post_form(
                client, "/find", {"order_number": f"ES-{n}", "email": f"u{n}@example.com"}
            ).status_code
            for n in range(4)
        ]
    assert codes == [303, 303, 303, 429]
