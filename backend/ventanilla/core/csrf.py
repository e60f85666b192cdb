"""CSRF protection for every form post: a signed double-submit token.

The cookie holds `random.HMAC(secret_key, random)`; pages embed the same value (as
`request.state.csrf_token`, a hidden `csrf_token` field, and `X-CSRF-Token` for HTMX). An unsafe
request to a non-/api path must present a value equal to a validly signed cookie, otherwise it gets
a 403 page and never reaches a route, so nothing changes. In a multipart form (photo uploads)
the field must come before any file input: the check stops reading at the first file, which is
left for the route to parse under its own limits.

/api takes API keys (not affected) or the shopper's session cookie. A write authenticated by that
cookie (an unsafe method, the cookie present, no Authorization header) must be JSON
(`Content-Type: application/json`, else 415 `unsupported_media_type`; a body-less request may
omit the header) and same-origin: `Sec-Fetch-Site` is `same-origin` or `none` when the browser
sends it, otherwise `Origin` is the configured base URL's origin; anything else (including no
header at all) gets a 403 `cross_origin` JSON error. A cross-site page can send a cookie with a
text/plain or form POST (no preflight); it can send neither JSON nor our Origin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from urllib.parse import urlsplit

from python_multipart.multipart import parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.formparsers import MultiPartParser
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ventanilla.csrf")

COOKIE_NAME = "csrftoken"
FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"
COOKIE_MAX_AGE = 365 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})


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


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case, as browsers send it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def json_write_problem(scope: Scope, *, origin: str) -> tuple[int, str, str] | None:
    """Why a cookie-authenticated /api write is refused: (status, code, detail), or None."""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        same = fetch_site.strip().lower() in SAME_ORIGIN_FETCH
    else:
        sent = _header(scope, b"origin")
        same = sent is not None and sent.strip().lower().rstrip("/") == origin
    if not same:
        return (
            403,
            "cross_origin",
            "Requests authenticated by the session cookie must come from this site "
            f"(Sec-Fetch-Site: same-origin, or Origin: {origin}).",
        )
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    has_body = _header(scope, b"content-length") not in (None, "0") or (
        _header(scope, b"transfer-encoding") is not None
    )
    if content_type != "application/json" and (content_type or has_body):
        return (
            415,
            "unsupported_media_type",
            "Send the request body as JSON (Content-Type: application/json).",
        )
    return None


class CSRFMiddleware:
    """Pure ASGI: sets the token cookie when missing and refuses unverified unsafe requests.

    `session_cookie` names the shopper's session cookie: /api writes that carry it (and no
    Authorization header) must pass `json_write_problem` against `base_url`'s origin.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        secure: bool,
        session_cookie: str | None = None,
        base_url: str = "",
    ) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure
        self.cookie = cookie_name(secure)
        self.session_cookie = session_cookie
        self.origin = origin_of(base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            problem = self._api_problem(scope)
            if problem is not None:
                log.info("json write refused on %s %s: %s", scope["method"], path, problem[1])
                status, code, detail = problem
                response = JSONResponse({"code": code, "detail": detail}, status_code=status)
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if path.startswith("/static/"):
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

    def _api_problem(self, scope: Scope) -> tuple[int, str, str] | None:
        if scope["method"] in SAFE_METHODS or self.session_cookie is None:
            return None
        if _header(scope, b"authorization") is not None:
            return None  # an API key (or a wrong one: the route answers 401)
        if _cookie(scope, self.session_cookie) is None:
            return None  # no session: the route answers 401
        return json_write_problem(scope, origin=self.origin)

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
