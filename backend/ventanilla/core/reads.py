"""A small read path for the event loop: one short statement, run inline, never a pool wait.

The request session (`core.deps.SessionDep`) runs in the thread pool: every sync dependency and
the route cost a hand-off there and back. A page's hot read (the order page's "is this still the
page I rendered?") is one indexed statement of tens of microseconds, far cheaper than the hand-off,
so it runs on the loop, on a connection of its own:

- one DBAPI connection per thread that reads (in a server, the event loop's thread), opened with
  the engine's own connect arguments and never shared with the request sessions' pool, so the
  loop never waits for a connection a worker thread holds (a blocking pool checkout on the loop
  froze it). The loop runs one statement at a time, so one connection is all it needs;
- autocommit: a single SELECT is its own consistent snapshot, without BEGIN/ROLLBACK round trips;
- statements are SQLAlchemy Core, compiled once per dialect (`Prepared`) and run on the DBAPI
  cursor: the ORM and Core's result machinery cost ~10x the statement itself here; on
  PostgreSQL they are server-side prepared statements with one generic plan (planning the
  order page's probe took 3 ms, executing it 0.1 ms);
- SQLite readers never wait for writers in WAL mode; a short busy timeout bounds the rare case.

Writes never go through here: they stay in the thread pool with the request session. Tests
count these statements with `observe` (they are not engine events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import create_engine
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ventanilla.config import get_settings

SQLITE_READ_TIMEOUT_SECONDS = 1.0

_local = threading.local()
_observers: list[Callable[[str], None]] = []


class ReadFailed(Exception):
    """The loop's read connection failed (the database restarted, ...); it is discarded and
    the caller falls back to its thread-pool path, which reconnects through the pool."""


class Prepared:
    """A Core statement compiled once per dialect, run with named parameters on a DBAPI cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = (str(compiled), order, dict(compiled.params))
            self._compiled[dialect.name] = found
        return found

    def first(self, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row (a tuple of DBAPI values), on this thread's read connection."""
        connection, dialect = _connection()
        sql, order, defaults = self._for(dialect)
        values = {**defaults, **params} if defaults else params
        args: Any = tuple(values[name] for name in order) if order is not None else values
        for observe in _observers:
            observe(sql)
        try:
            cursor = connection.cursor()
            try:
                if dialect.name == "postgresql":
                    # Prepared on the server at once, and planned once (see _connection):
                    # planning this statement costs PostgreSQL ~5x executing it.
                    cursor.execute(sql, args, prepare=True)
                else:
                    cursor.execute(sql, args)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            discard()
            raise ReadFailed(str(error)) from error
        return None if row is None else tuple(row)


def _connection() -> tuple[Any, Dialect]:
    url = get_settings().database_url
    held: dict[str, tuple[Any, Dialect]] = getattr(_local, "connections", None) or {}
    _local.connections = held
    found = held.get(url)
    if found is None:
        engine = engine_for_reads(url)
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        if engine.dialect.name == "sqlite":
            cparams.update(check_same_thread=False, timeout=SQLITE_READ_TIMEOUT_SECONDS)
        raw = engine.dialect.connect(*cargs, **cparams)
        engine.dialect.set_isolation_level(raw, "AUTOCOMMIT")
        if engine.dialect.name == "postgresql":
            # The hot statements look up unique keys: one generic plan fits every value.
            raw.execute("SET plan_cache_mode = force_generic_plan")
        found = (raw, engine.dialect)
        held[url] = found
    return found


def discard() -> None:
    """Drop this thread's read connections (after a database error: the next read reconnects)."""
    held: dict[str, tuple[Any, Dialect]] = getattr(_local, "connections", None) or {}
    for raw, _dialect in held.values():
        try:
            raw.close()
        except Exception:  # noqa: BLE001 - a broken connection may refuse to close as well
            pass
    held.clear()


def engine_for_reads(url: str) -> Engine:
    """An engine whose dialect and connect arguments the read connections use (never its pool)."""
    return _engines(url)


def _engines(url: str, cache: dict[str, Engine] = {}) -> Engine:  # noqa: B006 - a cache
    engine = cache.get(url)
    if engine is None:
        # The pool is never used: NullPool keeps the engine from holding anything.
        engine = create_engine(url, poolclass=NullPool)
        cache[url] = engine
    return engine


@contextmanager
def observe(callback: Callable[[str], None]) -> Iterator[None]:
    """Call `callback(sql)` for every statement this read path runs (tests count them)."""
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)
