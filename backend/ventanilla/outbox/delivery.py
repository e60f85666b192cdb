"""Sending one webhook: a signed POST (Standard Webhooks) and the outcome for the delivery log.

The log keeps the status code and a short classified error (`ERRORS`), never the receiver's
body or an exception's text: whoever reads the log (a `webhooks:manage` key) must not learn what
a server answered or how a connection failed, or the webhooks become a port scanner.
"""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from ventanilla import __version__
from ventanilla.outbox import targets

USER_AGENT = f"Ventanilla-Webhooks/{__version__}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(*, secret: str, message_id: str, body: str) -> dict[str, str]:
    # The receiver compares webhook-timestamp with its own wall clock (replay protection), so it
    # is the real time of this attempt, never the application's (possibly frozen) clock.
    sent_at = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, sent_at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


_FAILURES = (
    httpx.HTTPError,
    httpx.InvalidURL,  # not an HTTPError: a URL httpx cannot send to (an odd host notation)
    targets.BlockedAddress,
    targets.Unresolvable,
    OSError,
    ValueError,
)
# Every error the delivery log can show.
ERRORS = (
    "blocked_address",  # the name resolves to a non-public address (targets.is_blocked)
    "dns_error",  # the name does not resolve
    "timeout",
    "connection_refused",
    "tls_error",
    "connection_error",  # reset, unreachable, or anything else before an answer
    "protocol_error",  # the answer was not valid HTTP
    "invalid_url",
    "http_3xx",  # redirects are not followed
    "http_4xx",
    "http_5xx",
)


def new_client(
    timeout_seconds: float, *, allow_private: bool, resolve: targets.Resolver | None = None
) -> httpx.Client:
    """A client that connects only to vetted addresses (`targets.GuardedTransport`)."""
    transport = targets.GuardedTransport(
        allow_private=allow_private, resolve=resolve or targets.system_resolver
    )
    # Redirects are not followed: a signed event must reach the URL the shop registered, and a
    # 3xx counts as a failed attempt that shows up in the log.
    return httpx.Client(
        timeout=timeout_seconds, follow_redirects=False, trust_env=False, transport=transport
    )


def deliver(
    client: httpx.Client, *, url: str, secret: str, message_id: str, payload: dict[str, Any]
) -> Outcome:
    """POST the event once; 2xx means delivered, anything else (or no answer) means retry."""
    body = encode(payload)
    headers = signed_headers(secret=secret, message_id=message_id, body=body)
    started = time.monotonic()
    try:
        # The body is never read: only the status code is kept.
        with client.stream("POST", url, content=body.encode(), headers=headers) as response:
            status = response.status_code
    except _FAILURES as exc:
        # Classified, never shown as it came (the text may quote the foreign server).
        return Outcome(False, None, classify(exc), _ms_since(started))
    duration = _ms_since(started)
    if 200 <= status < 300:
        return Outcome(True, status, None, duration)
    return Outcome(False, status, f"http_{status // 100}xx", duration)


_OUR_OWN = ("endpoint disabled", "internal_error")


def public_error(error: str | None, status_code: int | None) -> str | None:
    """The error as the API shows it: one of ERRORS (or our own notes). Rows logged before the
    errors were classified held the receiver's body or the exception's text; those are shown
    by their class only."""
    if error is None or error in ERRORS or error.startswith(_OUR_OWN):
        return error
    if status_code is None and error[:5] == "HTTP " and error[5:8].isdigit():
        status_code = int(error[5:8])  # the old "HTTP 500: <body>"
    if status_code is not None:
        return f"http_{status_code // 100}xx"
    return "connection_error"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def classify(exc: BaseException) -> str:
    """The delivery log's short name (one of ERRORS) for why an attempt got no answer."""
    if isinstance(exc, targets.BlockedAddress):
        return "blocked_address"
    if isinstance(exc, targets.Unresolvable):
        return "dns_error"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return "protocol_error"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | UnicodeError | ValueError):
        return "invalid_url"
    causes = _chain(exc)
    if any(isinstance(c, ssl.SSLError | ssl.CertificateError) for c in causes):
        return "tls_error"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection_refused"
    if any("ssl" in type(c).__module__.lower() or "certificate" in str(c).lower() for c in causes):
        return "tls_error"
    if any("refused" in str(c).lower() for c in causes):
        return "connection_refused"
    return "connection_error"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
