from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field


class OutboxMessage(SQLModel, table=True):
    """A message to send after commit: an email or one webhook event for one endpoint."""

    __tablename__ = "outbox_messages"
    # The worker's one query: status = 'pending' AND next_attempt_at <= now, oldest first.
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=40)  # also the webhook id / Message-ID
    kind: str = Field(max_length=20)  # email | webhook
    status: str = Field(default="pending", max_length=20)  # pending|sent|dead
    payload: dict[str, Any] = json_field()
    endpoint_id: int | None = Field(default=None, foreign_key="webhook_endpoints.id", index=True)
    attempts: int = 0
    next_attempt_at: datetime = utc_field(nullable=False)
    locked_until: datetime | None = utc_field()
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = utc_field()


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    events: list[str] = json_field(list)  # empty = every event
    secret: str = Field(max_length=100)  # whsec_…; needed in clear to sign
    created_at: datetime = created_at_field()
    disabled_at: datetime | None = utc_field()


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver one event to one endpoint: the delivery log."""

    __tablename__ = "webhook_deliveries"
    # The log is read per endpoint, newest first: WHERE endpoint_id = ? ORDER BY id DESC.
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id")
    message_id: str = Field(foreign_key="outbox_messages.id", index=True, max_length=40)
    event_type: str = Field(max_length=60)
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    duration_ms: int | None = None
    attempted_at: datetime = created_at_field()
