"""ASGI middleware: request body limit and security headers."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ventanilla.config import get_settings


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413 before anything reads them whole.

    `larger` names routes with a limit of their own, as (method, path regex, max_bytes): the
    invoice PDF upload takes megabytes while every JSON body stays small.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, *, larger: Sequence[tuple[str, str, int]] = ()
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.larger = [(method, re.compile(path), limit) for method, path, limit in larger]

    def limit_for(self, scope: Scope) -> int:
        for method, path, limit in self.larger:
            if scope.get("method") == method and path.fullmatch(scope.get("path", "")):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await _too_large(send, max_bytes)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await _too_large(send, max_bytes)


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
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
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
