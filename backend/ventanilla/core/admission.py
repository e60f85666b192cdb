"""Admission control: how much work the process takes on, and how much any one client may.

Every request except liveness (`/healthz`) and static files passes two gates, in order:

1. Its client's own limits on work in progress: per shopper session (the session cookie), per
   API key (the Bearer token) and per client IP. Beyond any of them the request is answered
   429 (`too_many_in_flight`) with `Retry-After` at once. The counts live in this process, or in
   Redis when `VENTANILLA_REDIS_URL` is set, so every replica shares them (`core.slots`).
2. The process's capacity (`Settings.in_flight_limit`, half the connection pool less two by
   default: a request holds at most two connections). Beyond it the request waits on the event loop,
   holding no thread and no connection, up to `admission_wait_seconds` and with at most
   `admission_max_waiting` others; otherwise 503 (`server_busy`) with `Retry-After`.

So pool size, thread limit and work in flight agree: a request that holds a connection always
finds a thread for its next step, and nobody waits 30 s in the pool. A database that is still
too busy (SQLite's busy timeout, a pool or lock timeout) is answered 503 too, never 500.

`/healthz` is liveness (constant, touches nothing); `/readyz` touches the database (and Redis
when configured) and answers 503 when either does not answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import weakref
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ventanilla import __version__
from ventanilla.config import Settings
from ventanilla.core import handlers, slots
from ventanilla.core.errors import AppError, TooManyRequests
from ventanilla.db import get_engine

log = logging.getLogger("ventanilla.admission")

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
EXEMPT_PREFIXES = ("/static/",)
RETRY_AFTER_SECONDS = 1
READY_TIMEOUT_SECONDS = 3.0


class ServerBusy(AppError):
    """The server is at capacity (or the database is): try again in a moment."""

    status_code = 503
    code = "server_busy"
    message = "The server is busy. Please try again in a moment."


class TooManyInFlight(TooManyRequests):
    """This client already has as much work in progress as it may."""

    code = "too_many_in_flight"
    message = "You have too many requests in progress. Please wait a moment and try again."


@dataclass
class Gate:
    """The process's capacity: `capacity` at once, `max_waiting` more wait on the loop."""

    capacity: int
    max_waiting: int
    waiting: int = 0
    _semaphore: asyncio.Semaphore | None = field(default=None, repr=False)

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.capacity)
        return self._semaphore

    async def enter(self, timeout: float) -> bool:
        """Take a place, waiting up to `timeout` seconds; False when full or timed out."""
        semaphore = self.semaphore
        if not semaphore.locked() and self.waiting == 0:
            await semaphore.acquire()  # free: returns at once
            return True
        if self.waiting >= self.max_waiting or timeout <= 0:
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(timeout):
                await semaphore.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def leave(self) -> None:
        self.semaphore.release()


def client_keys(scope: Scope, settings: Settings, session_cookie: str) -> list[slots.Key]:
    """The limits this request counts against: its shopper session, API key and IP."""
    keys: list[slots.Key] = []
    cookie_header = b""
    bearer = b""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie_header = value
        elif name == b"authorization" and value[:7].lower() == b"bearer ":
            bearer = value[7:].strip()
    if cookie_header:
        session = _cookie(cookie_header.decode("latin-1"), session_cookie)
        if session:
            keys.append(slots.Key("session:" + _digest(session), settings.limit_per_session))
    if bearer:
        api_key = _digest(bearer.decode("latin-1"))
        keys.append(slots.Key("apikey:" + api_key, settings.limit_per_api_key))
    client = scope.get("client")
    if client:
        keys.append(slots.Key("ip:" + str(client[0]), settings.limit_per_ip))
    return keys


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"') or None
    return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class AdmissionMiddleware:
    """The two gates (see the module's text); one `Gate` and one slot store per event loop."""

    def __init__(self, app: ASGIApp, *, settings: Settings, session_cookie: str) -> None:
        self.app = app
        self.settings = settings
        self.session_cookie = session_cookie
        self._per_loop: weakref.WeakKeyDictionary[Any, tuple[Gate, slots.Slots]] = (
            weakref.WeakKeyDictionary()
        )

    def _state(self) -> tuple[Gate, slots.Slots]:
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            gate = Gate(self.settings.in_flight_limit, self.settings.waiting_limit)
            state = (gate, slots.for_settings(self.settings))
            self._per_loop[loop] = state
            limiter = to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.settings.threads)
        return state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        gate, store = self._state()
        keys = client_keys(scope, self.settings, self.session_cookie)
        token = await store.acquire(keys)
        if token is None:
            await _refuse(scope, receive, send, TooManyInFlight())
            return
        try:
            if not await gate.enter(self.settings.admission_wait_seconds):
                await _refuse(scope, receive, send, ServerBusy())
                return
            try:
                await self.app(scope, receive, send)
            finally:
                gate.leave()
        finally:
            await store.release(keys, token)


def _exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def refusal(request: Request, exc: AppError) -> Response:
    """A 429 or 503 with Retry-After: JSON under /api, the inline message for HTMX, else a page."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if handlers.wants_json(request):
        body = handlers.error_body(request, exc)
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
    from ventanilla.core.pages_common import render_error  # templates load lazily

    if handlers.is_htmx(request):
        response = handlers._fragment(request, exc)
    else:
        response = render_error(
            request, status_code=exc.status_code, code=exc.code, message=exc.message
        )
    response.headers.update(headers)
    return response


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: AppError) -> None:
    await refusal(Request(scope, receive), exc)(scope, receive, send)


def database_busy(error: BaseException) -> bool:
    """A database that did not answer in time: SQLite's busy timeout, a pool or lock timeout."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    message = str(getattr(error, "orig", error)).lower()
    return any(
        part in message
        for part in ("database is locked", "database table is locked", "lock timeout")
    )


def install(app: FastAPI, settings: Settings, *, session_cookie: str) -> None:
    """Add the middleware (innermost of ours: its refusals get the security headers), the 503
    for a database that is too busy, and `/healthz` and `/readyz`."""
    app.add_middleware(AdmissionMiddleware, settings=settings, session_cookie=session_cookie)

    async def busy(request: Request, error: Exception) -> Response:
        if not database_busy(error):
            raise error  # the generic handler answers it (500, logged)
        log.warning("database busy on %s %s: %s", request.method, request.url.path, error)
        return refusal(request, ServerBusy())

    app.add_exception_handler(sa_exc.TimeoutError, busy)
    app.add_exception_handler(sa_exc.OperationalError, busy)
    app.add_exception_handler(sqlite3.OperationalError, busy)  # raised by a BEGIN event

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers. Waits for nothing (no database, no admission)."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Readiness: the database (and Redis, when configured) answer; 503 otherwise."""
        checks = {"database": await _check(_database_ready), "redis": "unused"}
        if settings.redis_url:
            checks["redis"] = await _check(lambda: slots.ping(settings))
        ready = all(value in ("ok", "unused") for value in checks.values())
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        headers = None if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse(body, status_code=200 if ready else 503, headers=headers)


def _database_ready() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


async def _check(probe: Any) -> str:
    try:
        # abandon_on_cancel: a probe stuck in the pool is left to finish on its own.
        await asyncio.wait_for(
            to_thread.run_sync(probe, abandon_on_cancel=True), READY_TIMEOUT_SECONDS
        )
    except Exception as error:  # noqa: BLE001  (any failure means "not ready")
        log.warning("readiness check failed: %s", error)
        return "unavailable"
    return "ok"
