"""The outbox: messages written in the same transaction as the change that caused them.

Interface used by every domain (the helper building the outbox fills in the bodies):
- enqueue_email(session, *, to, subject, text, html=None) -> OutboxMessage
- emit_event(session, *, type, data) -> list[OutboxMessage]   (one per subscribed endpoint)
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from ventanilla.core import clock
from ventanilla.outbox.models import OutboxMessage


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def enqueue_email(
    session: Session, *, to: str, subject: str, text: str, html: str | None = None
) -> OutboxMessage:
    """Queue an email; the worker sends it after commit."""
    message = OutboxMessage(
        id=new_message_id(),
        kind="email",
        payload={"to": to, "subject": subject, "text": text, "html": html},
        next_attempt_at=clock.now(),
    )
    session.add(message)
    session.flush()
    return message


def emit_event(session: Session, *, type: str, data: dict[str, Any]) -> list[OutboxMessage]:
    """Queue one webhook message per endpoint subscribed to `type`."""
    raise NotImplementedError
