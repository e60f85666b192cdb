"""Admission control: the process's gate, per-client places (in memory and in Redis), liveness
and readiness, rate limits counted in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc
from sqlmodel import Session

from ventanilla.config import Settings, use_settings
from ventanilla.core import ratelimit, slots
from ventanilla.core.admission import Gate, client_keys, database_busy
from ventanilla.core.ratelimit import Limit, RateLimited, RateLimitHit
from ventanilla.db import engine_for

REDIS_URL = "redis://127.0.0.1:6379/0"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the machine's Redis; its keys are deleted after."""
    prefix = f"ventanilla-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


class TestGate:
    def test_work_beyond_capacity_waits_then_goes_in_when_a_place_frees(self) -> None:
        async def scenario() -> list[str]:
            gate = Gate(capacity=2, max_waiting=1)
            seen: list[str] = []
            assert await gate.enter(1) and await gate.enter(1)
            waiter = asyncio.create_task(gate.enter(5))
            await asyncio.sleep(0.05)
            seen.append(f"waiting={gate.waiting}")
            # A fourth finds the waiting line full: refused at once, without waiting.
            started = time.monotonic()
            seen.append(f"fourth={await gate.enter(5)}")
            seen.append(f"fast={time.monotonic() - started < 0.1}")
            gate.leave()
            seen.append(f"waiter={await waiter}")
            return seen

        assert asyncio.run(scenario()) == ["waiting=1", "fourth=False", "fast=True", "waiter=True"]

    def test_a_wait_that_times_out_is_refused_and_leaves_the_line(self) -> None:
        async def scenario() -> tuple[bool, int, float]:
            gate = Gate(capacity=1, max_waiting=4)
            await gate.enter(1)
            started = time.monotonic()
            entered = await gate.enter(0.2)
            return entered, gate.waiting, time.monotonic() - started

        entered, waiting, waited = asyncio.run(scenario())
        assert (entered, waiting) == (False, 0)
        assert 0.15 < waited < 2


class TestClientKeys:
    def test_session_cookie_api_key_and_ip_each_count(self, settings: Settings) -> None:
        scope = {
            "headers": [
                (b"cookie", b"other=1; ventanilla_session=abc; lang=es"),
                (b"authorization", b"Bearer key-123"),
            ],
            "client": ("203.0.113.9", 5555),
        }
        keys = client_keys(scope, settings, "ventanilla_session")
        kinds = [(key.name.split(":")[0], key.limit) for key in keys]
        assert kinds == [
            ("session", settings.limit_per_session),
            ("apikey", settings.limit_per_api_key),
            ("ip", settings.limit_per_ip),
        ]
        assert "abc" not in keys[0].name and "key-123" not in keys[1].name  # digests only
        assert keys[2].name == "ip:203.0.113.9"

    def test_two_sessions_behind_one_address_have_their_own_places(
        self, settings: Settings
    ) -> None:
        def keys(cookie: bytes) -> list[str]:
            scope = {"headers": [(b"cookie", cookie)], "client": ("198.51.100.1", 1)}
            return [k.name for k in client_keys(scope, settings, "ventanilla_session")]

        first, second = keys(b"ventanilla_session=one"), keys(b"ventanilla_session=two")
        assert first[0] != second[0] and first[1] == second[1]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    """Which slot store the test uses (the name; each test builds it inside its own loop)."""
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        settings.redis_url, settings.redis_prefix = REDIS_URL, prefix
    yield request.param


class TestSlots:
    def test_a_client_at_its_limit_is_refused_until_a_place_is_given_back(
        self, settings: Settings, store: str
    ) -> None:
        async def scenario() -> list[bool]:
            places = slots.for_settings(settings)
            key = [slots.Key("session:one", 2)]
            first, second = await places.acquire(key), await places.acquire(key)
            third = await places.acquire(key)
            assert first and second
            await places.release(key, first)
            fourth = await places.acquire(key)
            return [third is None, fourth is not None]

        assert asyncio.run(scenario()) == [True, True]

    def test_a_full_key_takes_no_place_under_the_others(
        self, settings: Settings, store: str
    ) -> None:
        async def scenario() -> bool:
            places = slots.for_settings(settings)
            session, ip = slots.Key("session:full", 1), slots.Key("ip:192.0.2.1", 2)
            assert await places.acquire([session, ip])
            assert await places.acquire([session, ip]) is None  # the session is full...
            # ...and the refused request took nothing under the address: one place is left.
            return await places.acquire([slots.Key("session:other", 1), ip]) is not None

        assert asyncio.run(scenario())

    def test_redis_drops_places_of_a_replica_that_died(self, redis_prefix: str) -> None:
        client = redis.Redis.from_url(REDIS_URL)
        stale = (time.time() - slots.STALE_SECONDS - 10) * 1000
        client.zadd(f"{redis_prefix}:inflight:session:dead", {"crashed": stale})
        client.close()

        async def scenario() -> bool:
            places = slots.RedisSlots(slots.aioredis.Redis.from_url(REDIS_URL), redis_prefix)
            return await places.acquire([slots.Key("session:dead", 1)]) is not None

        assert asyncio.run(scenario())

    def test_redis_down_lets_the_request_through(self, settings: Settings) -> None:
        settings.redis_url = NOWHERE

        async def scenario() -> str | None:
            return await slots.for_settings(settings).acquire([slots.Key("ip:x", 1)])

        assert asyncio.run(scenario()) == slots.ADMITTED


class TestRateLimitsInRedis:
    def test_limits_are_counted_in_redis_not_in_the_database(
        self, settings: Settings, session: Session, redis_prefix: str
    ) -> None:
        settings.redis_url, settings.redis_prefix = REDIS_URL, redis_prefix
        limit = Limit("find:test", 3, timedelta(hours=1))
        for _ in range(3):
            ratelimit.enforce(session, [limit])
        with pytest.raises(RateLimited) as refused:
            ratelimit.enforce(session, [limit])
        assert 3000 < refused.value.retry_after <= 3600
        assert session.get(RateLimitHit, "find:test") is None

    def test_an_attempt_refused_by_one_limit_is_not_counted_by_the_other(
        self, settings: Settings, session: Session, redis_prefix: str
    ) -> None:
        settings.redis_url, settings.redis_prefix = REDIS_URL, redis_prefix
        tight, loose = Limit("code:tight", 1), Limit("code:loose", 2)
        ratelimit.enforce(session, [tight, loose])
        for _ in range(3):
            with pytest.raises(RateLimited):
                ratelimit.enforce(session, [tight, loose])
        ratelimit.enforce(session, [loose])  # its one place left was not spent by refusals

    def test_redis_down_counts_in_the_database(self, settings: Settings, session: Session) -> None:
        settings.redis_url = NOWHERE
        ratelimit.enforce(session, [Limit("find:fallback", 5)])
        row = session.get(RateLimitHit, "find:fallback")
        assert row is not None and row.count == 1


class TestHealth:
    def test_healthz_answers_while_every_connection_is_taken(
        self, settings: Settings, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        from ventanilla.app import create_app

        settings.db_pool_size = 2
        use_settings(settings)
        engine = engine_for(settings.database_url, 2)
        held = [engine.connect() for _ in range(2)]
        try:
            with TestClient(create_app(settings)) as client:
                started = time.monotonic()
                response = client.get("/healthz")
                assert response.status_code == 200
                assert time.monotonic() - started < 1.0
                ready = client.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["checks"]["database"] == "unavailable"
                assert ready.headers["retry-after"] == "1"
        finally:
            for connection in held:
                connection.close()
            engine.dispose()

    def test_readyz_says_ready_with_the_database_and_redis(
        self, settings: Settings, redis_prefix: str
    ) -> None:
        from ventanilla.app import create_app

        settings.redis_url, settings.redis_prefix = REDIS_URL, redis_prefix
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}

    def test_readyz_says_503_when_redis_is_down(self, settings: Settings) -> None:
        from ventanilla.app import create_app

        settings.redis_url = NOWHERE
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}


class TestDatabaseBusy:
    def test_timeouts_and_locks_are_busy_other_errors_are_not(self) -> None:
        locked = sa_exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        gone = sa_exc.OperationalError("SELECT 1", {}, Exception("no such table: orders"))
        assert database_busy(sa_exc.TimeoutError("QueuePool limit reached"))
        assert database_busy(locked)
        assert not database_busy(gone)


class TestRefusals:
    """A client over its limit: 429 with Retry-After, in the form its request asked for."""

    @pytest.fixture
    def refusing(self, settings: Settings) -> Iterator[TestClient]:
        from ventanilla.app import create_app

        settings.limit_per_session = 0  # every request with a session cookie is one too many
        with TestClient(create_app(settings)) as client:
            client.cookies.set("ventanilla_session", "any")
            yield client

    def test_json_says_why_with_a_stable_code(self, refusing: TestClient) -> None:
        response = refusing.get("/api/v1/me/orders/1/address")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        body = response.json()
        assert body["code"] == "too_many_in_flight"
        assert body["reason"].startswith("Tienes demasiadas peticiones en curso")

    def test_a_page_is_shown_in_the_shoppers_language(self, refusing: TestClient) -> None:
        response = refusing.get("/orders", headers={"Accept-Language": "en"})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert "text/html" in response.headers["content-type"]
        assert "too many requests in progress" in response.text
        assert "content-security-policy" in response.headers  # inside the security headers

    def test_liveness_and_static_files_are_not_counted(self, refusing: TestClient) -> None:
        assert refusing.get("/healthz").status_code == 200
        assert refusing.get("/static/vendor/htmx.min.js").status_code == 200
