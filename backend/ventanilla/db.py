"""Engine and sessions: one session per request, committed on success, rolled back on error."""

from __future__ import annotations

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

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = bool(conn.get_execution_options().get("ventanilla_write"))
        conn.info[TXN] = "write" if immediate else "read"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "before_cursor_execute", _upgrade_to_write)


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


def _upgrade_to_write(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """SQLite: a read transaction about to write becomes a write transaction first.

    A deferred transaction that has read cannot safely upgrade in WAL mode (SQLITE_BUSY_SNAPSHOT
    when another writer committed meanwhile, without waiting), so it ends (it wrote nothing)
    and BEGIN IMMEDIATE starts a fresh one that waits for the lock on busy_timeout. What was
    read before is then as in PostgreSQL's READ COMMITTED: rows the write depends on are read
    again under the lock (`with_for_update()` with `populate_existing`, as `orders.edits` does).
    """
    if conn.info.get(TXN) == "read" and _writes(statement, context):
        cursor.execute("COMMIT")
        conn.info[TXN] = "write"
        cursor.execute("BEGIN IMMEDIATE")
    return statement, parameters


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
