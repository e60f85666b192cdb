"""Sending the outbox (emails and webhooks), retrying with backoff: the worker's `outbox.send`
task (`outbox.tasks`).

One pass (`drain_once`) has three steps, so no transaction is ever open while talking to the
outside world:

1. claim: in one short transaction, select due pending messages that nobody holds
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers take disjoint batches), set their
   lease (`locked_until`) and commit;
2. send each message, outside any transaction;
3. record each outcome in its own short transaction: `sent`, or one more attempt with the next
   one scheduled by `policy.retry_delay` (exponential backoff with jitter; the schedule is in its
   docstring), or `dead` after `outbox_max_attempts`. Dead messages stay in the table.

Delivery is at least once: a worker that dies between sending and recording sends the message again
when its lease runs out. Receivers drop the duplicate by its id, which never changes (the
`webhook-id` header, the email's Message-ID).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session

from ventanilla.config import Settings, get_settings
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.outbox import delivery, mail, policy, repository, service
from ventanilla.outbox.events import EventType
from ventanilla.outbox.models import OutboxMessage, WebhookDelivery

log = logging.getLogger("ventanilla.outbox")

LEASE_MARGIN_SECONDS = 60
BATCH = 50


@dataclass(frozen=True)
class Claimed:
    """What sending needs, copied out of the claim transaction."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    endpoint_id: int | None = None
    url: str | None = None
    secret: str | None = None
    endpoint_active: bool = False


@dataclass(frozen=True)
class Result:
    ok: bool
    error: str | None = None
    permanent: bool = False
    # Webhooks only: one row of the delivery log.
    status_code: int | None = None
    duration_ms: int | None = None
    attempted: bool = True


def lease_for(settings: Settings, limit: int) -> timedelta:
    """Long enough for a whole batch to time out message by message, so no other worker takes
    a message while this one may still be sending it."""
    per_message = max(settings.smtp_timeout_seconds, settings.webhook_timeout_seconds)
    return timedelta(seconds=limit * per_message + LEASE_MARGIN_SECONDS)


def drain_once(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send what is due; returns how many messages were attempted."""
    settings = get_settings()
    claimed = _claim(now or clock.now(), limit, settings)
    if not claimed:
        return 0
    webhook_client: httpx.Client | None = None
    try:
        with mail.Mailer(settings) as mailer:
            for message in claimed:
                started = now or clock.now()
                try:
                    if message.kind == "email":
                        result = _send_email(mailer, message, settings)
                    elif message.kind == "webhook":
                        if webhook_client is None:
                            webhook_client = delivery.new_client(
                                settings.webhook_timeout_seconds,
                                allow_private=bool(settings.webhooks_allow_private),
                            )
                        result = _send_webhook(webhook_client, message)
                    else:
                        result = Result(False, f"unknown kind {message.kind!r}", permanent=True)
                except Exception as exc:
                    # A bug with one message must not hold back the rest of the batch.
                    log.exception("outbox %s %s: unexpected error", message.kind, message.id)
                    result = Result(False, f"internal_error: {type(exc).__name__}")
                _record(message, result, started, now, settings)
    finally:
        if webhook_client is not None:
            webhook_client.close()
    return len(claimed)


def _claim(now: datetime, limit: int, settings: Settings) -> list[Claimed]:
    lease_until = now + lease_for(settings, limit)
    with session_scope() as session:
        rows = repository.claim_due(session, now=now, limit=limit)
        endpoints = repository.endpoints_by_id(
            session, (r.endpoint_id for r in rows if r.endpoint_id is not None)
        )
        claimed = []
        for row in rows:
            row.locked_until = lease_until
            session.add(row)
            endpoint = endpoints.get(row.endpoint_id) if row.endpoint_id is not None else None
            claimed.append(
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    payload=dict(row.payload),
                    attempts=row.attempts,
                    created_at=row.created_at,
                    endpoint_id=row.endpoint_id,
                    url=endpoint.url if endpoint else None,
                    secret=endpoint.secret if endpoint else None,
                    endpoint_active=endpoint is not None and endpoint.disabled_at is None,
                )
            )
    return claimed


def _send_email(mailer: mail.Mailer, message: Claimed, settings: Settings) -> Result:
    try:
        email = mail.build_email(
            message.id, message.payload, settings=settings, created_at=message.created_at
        )
        mailer.send(email, message_id=message.id)
    except mail.PermanentSendError as exc:
        return Result(False, str(exc), permanent=True)
    except mail.SendError as exc:
        return Result(False, str(exc))
    return Result(True)


def _send_webhook(client: httpx.Client, message: Claimed) -> Result:
    if not message.endpoint_active or not message.url or not message.secret:
        # The shop switched this endpoint off: nothing to try, and no row in its log.
        return Result(False, "endpoint disabled", permanent=True, attempted=False)
    outcome = delivery.deliver(
        client,
        url=message.url,
        secret=message.secret,
        message_id=message.id,
        payload=message.payload,
    )
    return Result(
        outcome.ok,
        outcome.error,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
    )


def _tell_shop_undeliverable(session: Session, message: OutboxMessage) -> None:
    """The shop hears of an email that will not arrive (a webhook in the same transaction), so it
    can reach the customer another way; the row stays `dead` in the outbox."""
    service.emit_event(
        session,
        type=EventType.EMAIL_UNDELIVERABLE,
        data={
            "message_id": message.id,
            "to": message.payload.get("to"),
            "subject": message.payload.get("subject"),
            "error": message.last_error,
            "attempts": message.attempts,
        },
    )


def _record(
    claimed: Claimed, result: Result, started: datetime, now: datetime | None, settings: Settings
) -> None:
    at = now or clock.now()
    with session_scope() as session:
        message = repository.message(session, claimed.id, for_update=True)
        if message is None or message.status != "pending":
            return
        if result.attempted:
            message.attempts += 1
        message.locked_until = None
        if result.ok:
            message.status = "sent"
            message.sent_at = at
            message.last_error = None
            log.info("outbox %s %s sent (attempt %d)", message.kind, message.id, message.attempts)
        else:
            message.last_error = (result.error or "failed")[:1000]
            exhausted = policy.is_exhausted(
                message.attempts, max_attempts=settings.outbox_max_attempts
            )
            if result.permanent or exhausted:
                message.status = "dead"
                if message.kind == "email":
                    _tell_shop_undeliverable(session, message)
                log.error(
                    "outbox %s %s dead after %d attempt(s): %s",
                    message.kind,
                    message.id,
                    message.attempts,
                    message.last_error,
                )
            else:
                message.next_attempt_at = at + policy.retry_delay(
                    message.attempts,
                    base_seconds=settings.outbox_backoff_base_seconds,
                    max_seconds=settings.outbox_backoff_max_seconds,
                )
                log.warning(
                    "outbox %s %s attempt %d failed, next at %s: %s",
                    message.kind,
                    message.id,
                    message.attempts,
                    message.next_attempt_at.isoformat(),
                    message.last_error,
                )
        session.add(message)
        if claimed.kind == "webhook" and result.attempted and claimed.endpoint_id is not None:
            repository.add(
                session,
                WebhookDelivery(
                    endpoint_id=claimed.endpoint_id,
                    message_id=claimed.id,
                    event_type=str(claimed.payload.get("type", ""))[:60],
                    attempt=message.attempts,
                    status_code=result.status_code,
                    error=result.error[:1000] if result.error else None,
                    duration_ms=result.duration_ms,
                    attempted_at=started,
                ),
            )
