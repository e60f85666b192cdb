"""The outbox: messages written in the same transaction as the change that caused them.

Interface used by every domain:
- enqueue_email(session, *, to, subject, text, html=None) -> OutboxMessage
- emit_event(session, *, type, data) -> list[OutboxMessage]   (one per subscribed endpoint)

Both only add rows and flush: if the caller's transaction rolls back, nothing is ever sent. The
worker (`ventanilla.outbox.worker`) sends them after commit. A message's id (`msg_...`) is its
Standard Webhooks `webhook-id` and the root of its email Message-ID, so it never changes across
retries and receivers can drop duplicates.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from pydantic_core import to_jsonable_python
from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.config import get_settings
from ventanilla.core import clock, typed
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.outbox import policy, repository, targets
from ventanilla.outbox.events import EVENT_TYPES, EventType
from ventanilla.outbox.exceptions import (
    MessageAlreadySent,
    OutboxMessageNotFound,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
)
from ventanilla.outbox.models import OutboxMessage, WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def enqueue_email(
    session: Session, *, to: str, subject: str, text: str, html: str | None = None
) -> OutboxMessage:
    """Queue an email; the worker sends it after commit."""
    # A header with a line break would be refused at send time, over and over: refuse it now
    # (before normalising, which would glue the lines together).
    if "@" not in to or any(ch in to for ch in "\r\n"):
        raise ValueError(f"not an email address: {to!r}")
    to = typed.email(to)  # the domain in IDNA, as it will be sent
    message = OutboxMessage(
        id=new_message_id(),
        kind="email",
        payload={"to": to, "subject": " ".join(subject.split()), "text": text, "html": html},
        next_attempt_at=clock.now(),
    )
    repository.add(session, message)
    return message


def emit_event(session: Session, *, type: str, data: dict[str, Any]) -> list[OutboxMessage]:
    """Queue one webhook message per active endpoint subscribed to `type`."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type: {type!r}")
    messages = [
        _webhook_message(endpoint, type=type, data=data)
        for endpoint in repository.active_endpoints(session)
        if not endpoint.events or type in endpoint.events
    ]
    if messages:
        repository.add(session, *messages)
    return messages


def _webhook_message(
    endpoint: WebhookEndpoint, *, type: str, data: dict[str, Any]
) -> OutboxMessage:
    now = clock.now()
    payload = {
        "type": type,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        # JSON-safe now (dates, decimals), so the worker sends exactly what was stored.
        "data": to_jsonable_python(data),
    }
    return OutboxMessage(
        id=new_message_id(),
        kind="webhook",
        payload=payload,
        endpoint_id=endpoint.id,
        next_attempt_at=now,
    )


def create_endpoint(
    session: Session,
    *,
    actor: Actor,
    url: str,
    events: list[str] | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Register where events go; the secret to verify them is generated here."""
    settings = get_settings()
    # First, so that `https://[::ffff:127.0.0.1]/` is refused for where it points.
    blocked = targets.registration_problem(url, allow_private=bool(settings.webhooks_allow_private))
    if blocked:
        raise FieldErrors([(("body", "url"), blocked, "blocked_address")])
    problem = policy.webhook_url_problem(url, allow_http=bool(settings.allow_http_webhooks))
    if problem:
        raise FieldErrors([(("body", "url"), problem, "value_error")])
    chosen = list(dict.fromkeys(events or []))  # de-duplicated, order kept
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise FieldErrors(
            [(("body", "events"), f"Unknown event type: {', '.join(unknown)}.", "value_error")]
        )
    endpoint = WebhookEndpoint(
        url=url,
        events=chosen,
        description=description.strip() if description else None,
        secret=new_webhook_secret(),
    )
    repository.add(session, endpoint)
    activity_service.record(
        session,
        actor=actor,
        kind="webhook_endpoint.created",
        data={"endpoint_id": endpoint.id, "url": url, "events": chosen},
    )
    return endpoint


def list_endpoints(session: Session, *, include_disabled: bool = False) -> list[WebhookEndpoint]:
    """Registered endpoints, oldest first."""
    return repository.endpoints(session, include_disabled=include_disabled)


def get_endpoint(session: Session, *, endpoint_id: int) -> WebhookEndpoint:
    """One active endpoint; a deleted (disabled) one is not found, like a missing one."""
    endpoint = repository.endpoint(session, endpoint_id)
    if endpoint is None or endpoint.disabled_at is not None:
        raise WebhookEndpointNotFound()
    return endpoint


def disable_endpoint(session: Session, *, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint; the row, its log and its messages are kept."""
    endpoint = get_endpoint(session, endpoint_id=endpoint_id)
    endpoint.disabled_at = clock.now()
    session.add(endpoint)
    session.flush()
    activity_service.record(
        session,
        actor=actor,
        kind="webhook_endpoint.disabled",
        data={"endpoint_id": endpoint.id, "url": endpoint.url},
    )
    return endpoint


def ping_endpoint(session: Session, *, actor: Actor, endpoint_id: int) -> OutboxMessage:
    """Queue a `ping` event for this endpoint only, whatever it subscribes to."""
    endpoint = get_endpoint(session, endpoint_id=endpoint_id)
    message = _webhook_message(
        endpoint, type=EventType.PING.value, data={"endpoint_id": endpoint.id, "by": actor.id}
    )
    repository.add(session, message)
    return message


def endpoint_deliveries(
    session: Session, *, endpoint_id: int, limit: int = 50
) -> tuple[list[WebhookDelivery], int]:
    """The delivery log of an endpoint, newest attempt first, and its total size."""
    get_endpoint(session, endpoint_id=endpoint_id)
    rows = repository.deliveries(session, endpoint_id=endpoint_id, limit=limit)
    return rows, repository.count_deliveries(session, endpoint_id=endpoint_id)


def retry_message(session: Session, *, actor: Actor, message_id: str) -> OutboxMessage:
    """Send a dead or pending webhook message again as soon as a worker is free."""
    message = repository.message(session, message_id, for_update=True)
    if message is None or message.kind != "webhook":
        # Emails are the shopper's business, not the shop's: they are not reachable here.
        raise OutboxMessageNotFound()
    if message.status == "sent":
        raise MessageAlreadySent()
    endpoint = repository.endpoint(session, message.endpoint_id or 0)
    if endpoint is None or endpoint.disabled_at is not None:
        raise WebhookEndpointDisabled()
    message.status = "pending"
    message.next_attempt_at = clock.now()
    # A lease still running means a worker is sending it right now: leave that worker alone.
    session.add(message)
    session.flush()
    activity_service.record(
        session,
        actor=actor,
        kind="webhook_message.requeued",
        data={"message_id": message.id, "endpoint_id": message.endpoint_id},
    )
    return message


def requeue_dead(session: Session, *, actor: Actor, kind: str | None = None) -> int:
    """Give every dead message (emails, webhooks, or both) a fresh round of attempts."""
    count = repository.requeue_dead(session, kind=kind, now=clock.now())
    if count:
        activity_service.record(
            session, actor=actor, kind="outbox.requeued", data={"kind": kind, "count": count}
        )
    return count
