"""CSRF protection for every form post: a signed double-submit token.

The cookie holds `random.HMAC(secret_key, random)`; pages embed the same value (as
`request.state.csrf_token`, a hidden `csrf_token` field, and `X-CSRF-Token` for HTMX). An unsafe
request to a non-/api path must present a value equal to a validly signed cookie, otherwise it gets
a 403 page and never reaches a route, so nothing changes. In a multipart form (photo uploads)
the field must come before any file input: the check stops reading at the first file, which is
left for the route to parse under its own limits. /api is exempt: it takes API keys or
JSON with a SameSite=Lax cookie, which a cross-site form cannot send.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets

from python_multipart.multipart import parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.formparsers import MultiPartParser
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ventanilla.csrf")

COOKIE_NAME = "csrftoken"
FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"
COOKIE_MAX_AGE = 365 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def cookie_name(secure: bool) -> str:
    # In production the __Host- prefix stops a sibling subdomain from planting its own token.
    return "__Host-" + COOKIE_NAME if secure else COOKIE_NAME


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(secret: str, value: str) -> str:
    return _b64(hmac.new(secret.encode(), b"csrf:" + value.encode(), hashlib.sha256).digest())


def new_token(secret: str) -> str:
    value = _b64(secrets.token_bytes(24))
    return f"{value}.{_signature(secret, value)}"


def token_is_valid(token: str | None, secret: str) -> bool:
    if not token or len(token) > 200:
        return False
    value, dot, signature = token.partition(".")
    if not dot or not value:
        return False
    return hmac.compare_digest(signature.encode(), _signature(secret, value).encode())


def tokens_match(cookie: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(cookie.encode(), str(submitted).encode())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    # The same lenient parser as request.cookies: one odd cookie must not hide ours.
    raw = _header(scope, b"cookie")
    return cookie_parser(raw).get(name) if raw else None


class CSRFMiddleware:
    """Pure ASGI: sets the token cookie when missing and refuses unverified unsafe requests."""

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure
        self.cookie = cookie_name(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/api" or path.startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return

        current = _cookie(scope, self.cookie)
        fresh = not token_is_valid(current, self.secret)
        token = new_token(self.secret) if fresh else str(current)
        scope.setdefault("state", {})["csrf_token"] = token

        if scope["method"] not in SAFE_METHODS:
            # A cross-site request never passes, whatever it carries (browsers that say so).
            cross_site = _header(scope, b"sec-fetch-site") == "cross-site"
            submitted = _header(scope, HEADER_NAME.encode())
            if fresh or cross_site:
                ok = False
            elif submitted is not None:
                ok = tokens_match(token, submitted)
            else:
                body = await _read_body(receive)
                if body is None:  # the client went away
                    return
                submitted = await _form_token(scope, body)
                ok = tokens_match(token, submitted)
                receive = _replay(body, receive)
            if not ok:
                log.info("csrf check failed on %s %s", scope["method"], path)
                await self._refuse(scope, receive, send, token if fresh else None)
                return

        await self.app(scope, receive, self._with_cookie(send, token) if fresh else send)

    def _set_cookie_header(self, token: str) -> bytes:
        parts = [
            f"{self.cookie}={token}",
            "Path=/",
            f"Max-Age={COOKIE_MAX_AGE}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts).encode("latin-1")

    def _with_cookie(self, send: Send, token: str) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self._set_cookie_header(token).decode("latin-1"))
            await send(message)

        return sending

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, token: str | None) -> None:
        from ventanilla.core.pages_common import render_error  # templates load lazily

        response = render_error(
            Request(scope, receive),
            status_code=403,
            code="csrf_failed",
            message="Your form expired. Please go back, reload the page and try again.",
        )
        await response(scope, receive, self._with_cookie(send, token) if token else send)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        return None

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    if content_type == "multipart/form-data":
        return await _multipart_token(scope, once)
    request = Request(scope, once)
    try:
        form = await request.form()
    except Exception:  # malformed bodies carry no token; the check fails with a 403
        return None
    try:
        value = form.get(FIELD_NAME)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


# Multipart: text fields before the first file only (uploads are the route's to parse).
MAX_FIELDS = 100


class _FirstFile(Exception):
    pass


class _FieldsBeforeFiles(MultiPartParser):
    """Reads the text fields that come before the first file, and stops there.

    Forms put the hidden csrf_token field first, so the token is found without spooling any
    upload to disk or parsing it twice (the route parses it with its own limits).
    """

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._current_part.content_disposition)
        if b"filename" in options:
            raise _FirstFile
        super().on_headers_finished()


async def _multipart_token(scope: Scope, receive: Receive) -> str | None:
    request = Request(scope, receive)
    parser = _FieldsBeforeFiles(request.headers, request.stream(), max_fields=MAX_FIELDS)
    try:
        await parser.parse()
    except _FirstFile:
        pass
    except Exception:  # malformed bodies carry no token; the check fails with a 403
        return None
    value = next((v for k, v in parser.items if k == FIELD_NAME), None)
    return value if isinstance(value, str) else None
