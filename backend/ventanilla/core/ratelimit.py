"""Fixed-window rate limits, shared by every worker and replica.

Embedded default: counted in the database, one row per key (`rate_limits`); a hit is a single
atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), which both SQLite (3.35+) and
PostgreSQL run without a race. With `VENTANILLA_REDIS_URL` set the same limits are counted in
Redis by the `limits` library (fixed windows, keys under `<redis_prefix>:ratelimit`), which
spares the database a write per attempt; if Redis does not answer, the database counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import redis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.errors import TooManyRequests
from ventanilla.core.models import utc_field

HOUR = timedelta(hours=1)
log = logging.getLogger("ventanilla.ratelimit")


class RateLimitHit(SQLModel, table=True):
    """Fixed-window counters shared by every worker through the database."""

    __tablename__ = "rate_limits"

    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = utc_field(nullable=False)
    count: int = 0


class RateLimited(TooManyRequests):
    """Too many attempts; `retry_after` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            f"Too many attempts. Please try again in {minutes} minutes.", minutes=minutes
        )

    @property
    def minutes(self) -> int:
        return math.ceil(self.retry_after / 60)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: timedelta = HOUR


@dataclass(frozen=True)
class Hit:
    count: int
    allowed: bool
    retry_after: int  # seconds until the window resets


def hashed_key(prefix: str, value: str, secret: str) -> str:
    """A key that does not store what was typed (emails, postcodes) in the clear."""
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}:{digest}"


def window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"rate limits need SQLite or PostgreSQL, not {dialect}")


def hit(session: Session, limit: Limit, *, now: datetime | None = None) -> Hit:
    """Count one attempt against `limit` and say whether it is within it."""
    now = now or clock.now()
    start = window_start(now, limit.window)
    table = RateLimitHit.__table__  # type: ignore[attr-defined]
    stmt = _insert(session)(table).values(key=limit.key, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case(
                (table.c.window_start == stmt.excluded.window_start, table.c.count + 1),
                else_=1,
            ),
            "window_start": stmt.excluded.window_start,
        },
    ).returning(table.c.count)
    count = int(session.execute(stmt).scalar_one())
    retry_after = math.ceil((start + limit.window - now).total_seconds())
    return Hit(count=count, allowed=count <= limit.limit, retry_after=retry_after)


def enforce(session: Session, limits: Iterable[Limit], *, now: datetime | None = None) -> None:
    """Count one attempt against every limit; raise RateLimited if any is exceeded.

    In the database the caller's transaction rolls back on the exception, so refused attempts
    do not count and a refused caller stays refused until the window ends; in Redis every
    limit is checked before any is counted, to the same effect.
    """
    limits = list(limits)
    settings = get_settings()
    if settings.redis_url:
        try:
            _enforce_in_redis(_redis_limiter(settings.redis_url, settings.redis_prefix), limits)
            return
        except redis.RedisError as error:
            log.warning("rate limits: Redis did not answer (%s); counting in the database", error)
    now = now or clock.now()
    refused = [h for h in (hit(session, limit, now=now) for limit in limits) if not h.allowed]
    if refused:
        raise RateLimited(max(h.retry_after for h in refused))


@lru_cache(maxsize=4)
def _redis_limiter(url: str, prefix: str) -> FixedWindowRateLimiter:
    storage = RedisStorage(url, key_prefix=f"{prefix}:ratelimit", socket_timeout=2.0)
    return FixedWindowRateLimiter(storage)


def _item(limit: Limit) -> RateLimitItem:
    return RateLimitItemPerSecond(limit.limit, int(limit.window.total_seconds()))


def _enforce_in_redis(limiter: FixedWindowRateLimiter, limits: list[Limit]) -> None:
    """Check every limit first, so an attempt refused by one is not counted by the others."""
    full = [limit for limit in limits if not limiter.test(_item(limit), limit.key)]
    if not full:
        full = [limit for limit in limits if not limiter.hit(_item(limit), limit.key)]
    if full:
        raise RateLimited(max(_seconds_left(limiter, limit) for limit in full))


def _seconds_left(limiter: FixedWindowRateLimiter, limit: Limit) -> int:
    reset_at = limiter.get_window_stats(_item(limit), limit.key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def purge(session: Session, *, older_than: datetime) -> int:
    """Delete counters whose window started before `older_than` (housekeeping)."""
    table = RateLimitHit.__table__  # type: ignore[attr-defined]
    result = session.execute(delete(table).where(table.c.window_start < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
