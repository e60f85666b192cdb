"""ASGI middleware: request body limit, security headers (with relative redirects), HEAD.

Order in `app.py`, outermost first: SecurityHeadersMiddleware, BodyLimitMiddleware,
HeadMiddleware, CSRFMiddleware. The security headers are outermost so that every answer a
middleware gives early (413 here, 403/415 from CSRF) carries them too.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import routing as fastapi_routing
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ventanilla.config import get_settings


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413 before anything reads them whole.

    `route_limit(path_template, route)` may name a larger limit for one route (photo uploads,
    the invoice PDF push); it is asked
    only when a body passes `max_bytes`, so ordinary requests pay nothing for it.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        route_limit: Callable[[str, BaseRoute], int | None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limit = route_limit

    def _limit_for(self, scope: Scope) -> int:
        """The larger limit of the route this request goes to, if it has one."""
        if self.route_limit is None:
            return self.max_bytes
        path, method = scope.get("path", ""), scope.get("method", "")
        for pattern, methods, route in routes_of(scope.get("app")):
            if (methods is None or method in methods) and _path_regex(pattern).match(path):
                return max(self.max_bytes, self.route_limit(pattern, route) or 0)
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
                if length > limit:
                    limit = self._limit_for(scope)
                if length < 0 or length > limit:
                    await _too_large(send, limit)
                    return
        received = 0
        response_started = False
        refused = False
        looked_up = limit != self.max_bytes

        async def limited_receive() -> Message:
            # Without Content-Length (chunked) the size shows only while reading. Then the 413
            # is sent from here and the app is told the client left: whatever it makes of that
            # (FastAPI: a 400 for an unreadable body) is never sent.
            nonlocal received, limit, looked_up, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not looked_up:
                    limit, looked_up = self._limit_for(scope), True
                if received > limit:
                    if response_started:
                        raise BodyTooLarge
                    refused = True
                    await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if refused:
                return  # answered 413 already; the app only failed to read the rest
            raise


def routes_of(app: Any) -> Iterator[tuple[str, set[str] | None, BaseRoute]]:
    """Every route of the app as (full path, methods, route): newer FastAPI keeps included
    routers nested (`iter_route_contexts` walks them), older versions flatten them."""
    routes = getattr(getattr(app, "router", None), "routes", [])
    walk = getattr(fastapi_routing, "iter_route_contexts", None)
    if walk is None:
        for route in routes:
            yield str(getattr(route, "path", "")), getattr(route, "methods", None), route
        return
    for context in walk(routes):
        yield str(context.path or ""), context.methods, context.original_route


_routes = routes_of  # the earlier private name, still imported by tests


@lru_cache(maxsize=512)
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


class HeadMiddleware:
    """HEAD wherever GET works (RFC 9110 9.3.2): routed and answered as GET, without the body.

    The headers (Content-Length included) are those GET would send. GET routes never change
    anything a HEAD could spend (opening a "my order" link only shows a page), so a link
    checker's HEAD is as harmless as its GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def relative_location(location: bytes, scope: Scope) -> bytes:
    """A Location on our own host, made relative (`/orders?x=1`), so that a redirect never
    repeats the Host header the client sent (`Location: http://evil.example/orders`).
    Other absolute URLs (Stripe, a carrier) are kept."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.netloc:
        return location
    host = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
    server = scope.get("server")
    own = {h.decode("latin-1").lower() for h in [host] if h}
    if server:
        own |= {f"{server[0]}:{server[1]}".lower(), str(server[0]).lower()}
    if parts.netloc.lower() not in own:
        return location
    # "//x" would be read as another host: one leading slash only.
    path = "/" + (parts.path or "/").lstrip("/")
    return (path + (f"?{parts.query}" if parts.query else "")).encode("latin-1")


async def _too_large(send: Send, max_bytes: int) -> None:
    body = json.dumps(
        {"code": "body_too_large", "detail": f"The request body is larger than {max_bytes} bytes."}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Headers on every response; a strict CSP with a per-request nonce on HTML.

    A page that loads Stripe.js calls `allow_payment_scripts(request)`: only that response's CSP
    names the payment origins (script, frame and connect), every other page stays strict.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})
        state["csp_nonce"] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = [
                    (k, relative_location(v, scope) if k.lower() == b"location" else v)
                    for k, v in message.get("headers", [])
                ]
                present = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                extra: list[tuple[bytes, bytes]] = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if content_type.startswith(b"text/html"):
                    origins = (
                        payment_origins(get_settings().stripe_js_url)
                        if state.get(PAYMENT_SCRIPTS)
                        else ()
                    )
                    policy = csp(nonce, script=origins, frame=origins, connect=origins)
                    extra.append((b"content-security-policy", policy.encode()))
                    extra.append((b"x-frame-options", b"DENY"))
                    extra.append(
                        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")
                    )
                    if b"cache-control" not in present:
                        extra.append((b"cache-control", b"no-store"))
                if self.hsts:
                    extra.append(
                        (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
                    )
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csp(
    nonce: str,
    *,
    script: tuple[str, ...] = (),
    frame: tuple[str, ...] = (),
    connect: tuple[str, ...] = (),
) -> str:
    """The policy; extra origins (Stripe.js on the pay page) widen only their directive."""
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", f"'nonce-{nonce}'", *script]),
        "style-src 'self'",
        "img-src 'self' https: data:",
        " ".join(["connect-src 'self'", *connect]),
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    if frame:
        directives.insert(5, " ".join(["frame-src", *frame]))
    return "; ".join(directives)


PAYMENT_SCRIPTS = "csp_payment_scripts"


def allow_payment_scripts(request: Any) -> None:
    """Let this response's page load Stripe.js (see SecurityHeadersMiddleware)."""
    setattr(request.state, PAYMENT_SCRIPTS, True)


def payment_origins(js_url: str) -> tuple[str, ...]:
    """The origins Stripe.js needs: where it is served from, plus Stripe's API and 3-D Secure
    frames when it is the real one (localstripe's stand-in calls back to its own origin)."""
    parts = urlsplit(js_url)
    if not parts.scheme or not parts.netloc:
        return ()
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.netloc == "js.stripe.com":
        return (origin, "https://api.stripe.com", "https://hooks.stripe.com")
    return (origin,)


def nonce_of(scope_state: Any) -> str:
    return str(getattr(scope_state, "csp_nonce", ""))
