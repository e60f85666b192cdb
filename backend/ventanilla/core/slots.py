"""Counts of work in progress per client (shopper session, API key, IP), for admission control.

Two stores with one interface: `acquire(keys)` takes one place under every key, or none if any
key is at its limit (then it returns None); `release(keys, token)` gives them back.

- `MemorySlots`: this process only (one machine, the embedded default).
- `RedisSlots`: shared by every replica, when `VENTANILLA_REDIS_URL` is set. Each key is a
  sorted set of the requests holding a place, scored by when they started; one Lua script
  checks and takes every key at once, so two replicas cannot both take the last place. A
  place whose process died is dropped after `STALE_SECONDS`, so a crash leaks nothing for long.
  If Redis does not answer, the request is let through (logged): this process's own capacity
  (`core.admission.Gate`) still protects it, and a Redis outage must not stop the shop.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis

from ventanilla.config import Settings

log = logging.getLogger("ventanilla.admission")

STALE_SECONDS = 300  # longer than any request may take
ADMITTED = "admitted"  # the token of a request let through without counting


@dataclass(frozen=True)
class Key:
    name: str  # e.g. "session:<digest>", "apikey:<digest>", "ip:127.0.0.1"
    limit: int


class Slots(Protocol):
    async def acquire(self, keys: list[Key]) -> str | None: ...

    async def release(self, keys: list[Key], token: str) -> None: ...


class MemorySlots:
    """Places held in this process (the event loop is its only user: no lock needed)."""

    def __init__(self) -> None:
        self.held: Counter[str] = Counter()

    async def acquire(self, keys: list[Key]) -> str | None:
        if any(self.held[key.name] >= key.limit for key in keys):
            return None
        for key in keys:
            self.held[key.name] += 1
        return ADMITTED

    async def release(self, keys: list[Key], token: str) -> None:
        for key in keys:
            self.held[key.name] -= 1
            if self.held[key.name] <= 0:
                del self.held[key.name]


# KEYS: the sets; ARGV: token, now (ms), stale before (ms), ttl (ms), then one limit per key.
# Returns 0 when every place was taken, else the (1-based) index of the key that is full.
_ACQUIRE = """
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[3])
  if redis.call('ZCARD', key) >= tonumber(ARGV[4 + i]) then
    for j = 1, i - 1 do redis.call('ZREM', KEYS[j], ARGV[1]) end
    return i
  end
  redis.call('ZADD', key, ARGV[2], ARGV[1])
  redis.call('PEXPIRE', key, ARGV[4])
end
return 0
"""


class RedisSlots:
    """Places shared by every replica through Redis (see the module's text)."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.script = client.register_script(_ACQUIRE)

    def _names(self, keys: list[Key]) -> list[str]:
        return [f"{self.prefix}:inflight:{key.name}" for key in keys]

    async def acquire(self, keys: list[Key]) -> str | None:
        if not keys:
            return ADMITTED
        token = secrets.token_hex(8)
        now = int(time.time() * 1000)
        args: list[Any] = [token, now, now - STALE_SECONDS * 1000, STALE_SECONDS * 1000]
        args += [key.limit for key in keys]
        try:
            full = await self.script(keys=self._names(keys), args=args)
        except redis.RedisError as error:
            log.warning("admission: Redis did not answer (%s); letting the request through", error)
            return ADMITTED
        return None if int(full) else token

    async def release(self, keys: list[Key], token: str) -> None:
        if token == ADMITTED or not keys:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for name in self._names(keys):
                    pipe.zrem(name, token)
                await pipe.execute()
        except redis.RedisError as error:
            log.warning("admission: could not release a place in Redis (%s)", error)


def for_settings(settings: Settings) -> Slots:
    """The store the settings ask for (call it inside the event loop that will use it)."""
    if settings.redis_url:
        client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=2.0)
        return RedisSlots(client, settings.redis_prefix)
    return MemorySlots()


def ping(settings: Settings) -> None:
    """Raise unless Redis answers (readiness)."""
    if not settings.redis_url:
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2.0)
    try:
        client.ping()
    finally:
        client.close()
