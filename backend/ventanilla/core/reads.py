"""A small read path for the event loop: one short statement, run inline, never a pool wait.

The request session (`core.deps.SessionDep`) runs in the thread pool: every sync dependency and
the route cost a hand-off there and back. A page's hot read (the order page's "is this still the
page I rendered?") is one indexed statement of tens of microseconds, far cheaper than the hand-off,
so it runs on the loop through this separate engine:

- its own pool, never shared with the request sessions, so a checkout never waits for a
  connection that a worker thread holds (a blocking checkout on the loop would freeze it). The
  loop holds a connection only for one synchronous statement and returns it before it awaits
  anything, so one connection per loop is in use at most; the pool never waits (no overflow cap);
- autocommit: a single SELECT is its own consistent snapshot; no BEGIN/ROLLBACK round trips;
- SQLite readers never wait for writers in WAL mode; a short busy timeout bounds the rare case.

Writes never go through here: they stay in the thread pool with the request session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import Engine, make_url

from ventanilla.config import get_settings

T = TypeVar("T")

SQLITE_READ_TIMEOUT_SECONDS = 1.0


@lru_cache(maxsize=8)
def engine_for_reads(url: str) -> Engine:
    """The loop's read engine for a database URL (one per process and URL)."""
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_READ_TIMEOUT_SECONDS},
            isolation_level="AUTOCOMMIT",
            pool_size=2,
            max_overflow=-1,
            pool_reset_on_return=None,
        )
    return create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=2,
        max_overflow=-1,
        pool_reset_on_return=None,
    )


def read_engine() -> Engine:
    """The read engine of the configured database."""
    return engine_for_reads(get_settings().database_url)


def run(read: Callable[..., T], *args: Any) -> T:
    """Run `read(connection, *args)` now, on the calling thread (the loop), and return its value.

    `read` must be one short statement with no I/O of its own besides it; database errors
    propagate (callers fall back to the thread-pool path).
    """
    connection: Connection
    with read_engine().connect() as connection:
        return read(connection, *args)
