"""Engine and sessions: one session per request, committed on success, rolled back on error."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from ventanilla.config import get_settings

# On SQLite a unit of work that asks to write (`session_scope(write=True)`: the worker, the CLI)
# starts with BEGIN IMMEDIATE: the writer lock is taken up front, so two writers queue on
# busy_timeout instead of one failing when it upgrades a read lock. A request's unit of work
# starts as a plain read transaction and takes the lock only at its first write (see
# `_upgrade_to_write`), so the lock is held from there to COMMIT, not while its dependencies
# authenticate and load.
WRITE = {"ventanilla_write": True}
TXN = "ventanilla_txn"  # Connection.info: "read" (deferred BEGIN) or "write" (lock held)
# How long a request waits for a pooled connection before it is answered 503 (never 30 s):
# admission control (core.admission) keeps requests that hold connections within the pool.
POOL_TIMEOUT_SECONDS = 10.0


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def engine_for(url: str, pool_size: int = 20) -> Engine:
    """One engine (one pool) per database URL, however the caller spells the arguments."""
    return _engine(url, pool_size)


@lru_cache(maxsize=8)
def _engine(url: str, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=False,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
    )


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (savepoints work then).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    writers = WriterLock()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = bool(conn.get_execution_options().get("ventanilla_write"))
        conn.info[TXN] = "read"
        if immediate:
            writers.take(conn.info, lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _upgrade_to_write(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> tuple[str, Any]:
        """A read transaction about to write becomes a write transaction first.

        A deferred transaction that has read cannot safely upgrade in WAL mode
        (SQLITE_BUSY_SNAPSHOT when another writer committed meanwhile, without waiting), so it
        ends (it wrote nothing) and BEGIN IMMEDIATE starts a fresh one. What was read before is
        then as in PostgreSQL's READ COMMITTED: rows the write depends on are read again under
        the lock (`with_for_update()` with `populate_existing`, as `orders.edits` does).
        """
        if conn.info.get(TXN) == "read" and _writes(statement, context):

            def begin_immediate() -> None:
                cursor.execute("COMMIT")
                cursor.execute("BEGIN IMMEDIATE")

            writers.take(conn.info, begin_immediate)
        return statement, parameters

    # The transaction ends here rather than in the driver's commit()/rollback() (then no-ops),
    # so the lock is handed on the moment the database let go of it.
    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        try:
            conn.connection.driver_connection.commit()
        finally:
            writers.give_back(conn.info)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        try:
            conn.connection.driver_connection.rollback()
        finally:
            writers.give_back(conn.info)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        writers.give_back(record.info)  # a connection closed mid-transaction


class WriterLock:
    """SQLite has one writer at a time. Writers of this process queue here for it, and are
    woken the moment it is free, instead of polling on busy_timeout with sleeps that grow to
    100 ms; busy_timeout is left for writers in other processes (the worker, a second app
    process). Held from BEGIN IMMEDIATE to COMMIT or ROLLBACK; released by whichever thread
    ends the transaction (a request ends it in another thread than the one that wrote)."""

    HELD = "ventanilla_writer_lock"

    def __init__(self, timeout: float = 30.0) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout

    def take(self, info: dict[str, Any], begin: Callable[[], Any]) -> None:
        if not info.get(self.HELD):
            if not self.lock.acquire(timeout=self.timeout):
                raise sqlite3.OperationalError("database is locked (no writer slot in time)")
            info[self.HELD] = True
        info[TXN] = "write"
        try:
            begin()
        except BaseException:
            self.give_back(info)
            raise

    def give_back(self, info: dict[str, Any]) -> None:
        if info.pop(self.HELD, False):
            self.lock.release()


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _writes(statement: str, context: Any) -> bool:
    """Whether a statement writes or locks: DML, a savepoint (taken only around writes), or a
    SELECT ... FOR UPDATE (which SQLite's compiler drops, so it is read from the statement)."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    compiled = getattr(context, "compiled", None)
    if getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None:
        return True
    return statement.lstrip()[:9].upper().startswith(_WRITE_VERBS)


def get_engine() -> Engine:
    settings = get_settings()
    return engine_for(settings.database_url, settings.db_pool_size)


AFTER_COMMIT = "ventanilla.after_commit"
Job = Callable[[], Any]


def after_commit(session: Session, function: Callable[..., Any], *args: Any) -> None:
    """Run `function(*args)` once this session's transaction has committed, never if it rolls
    back (making a refund once the change that owes it is committed).

    Best effort by design: in a request it runs after the response is sent; outside a request
    only a unit of work opened with `session_scope(run_after_commit=...)` runs it. What must
    happen is in the database already (a ledger row, an outbox message) and a worker task
    finishes it; this only makes it happen sooner.
    """
    jobs: list[Job] = session.info.setdefault(AFTER_COMMIT, [])
    jobs.append(lambda: function(*args))


@contextmanager
def session_scope(
    *, write: bool = True, run_after_commit: Callable[[Job], Any] | None = None
) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error.

    The request dependency (`core.deps.SessionDep`) hands the `after_commit` jobs to the
    response's background tasks; elsewhere (CLI, worker, tests) they are dropped unless
    `run_after_commit` says how to run them.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        if write:
            session.connection(execution_options=WRITE)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            jobs: list[Job] = session.info.pop(AFTER_COMMIT, [])
        if run_after_commit is not None:
            for job in jobs:
                run_after_commit(job)
