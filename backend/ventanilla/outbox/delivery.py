"""Sending one webhook: a signed POST (Standard Webhooks) and the outcome for the delivery log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from ventanilla import __version__

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


def new_client(timeout_seconds: float) -> httpx.Client:
    # Redirects are not followed: a signed event must reach the URL the shop registered, and a
    # 3xx counts as a failed attempt that shows up in the log.
    return httpx.Client(timeout=timeout_seconds, follow_redirects=False, trust_env=False)


def deliver(
    client: httpx.Client, *, url: str, secret: str, message_id: str, payload: dict[str, Any]
) -> Outcome:
    """POST the event once; 2xx means delivered, anything else (or no answer) means retry."""
    body = encode(payload)
    headers = signed_headers(secret=secret, message_id=message_id, body=body)
    started = time.monotonic()
    try:
        response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(False, None, _describe(exc), _ms_since(started))
    except (httpx.InvalidURL, ValueError, OSError) as exc:  # e.g. a host httpx cannot encode
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:1000], _ms_since(started))
    duration = _ms_since(started)
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None, duration)
    snippet = " ".join(response.text[:200].split())
    error = f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
    return Outcome(False, response.status_code, error[:1000], duration)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: httpx.HTTPError) -> str:
    kind = type(exc).__name__
    text = str(exc)
    return (f"{kind}: {text}" if text else kind)[:1000]
