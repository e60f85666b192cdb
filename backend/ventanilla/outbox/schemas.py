"""Request and response bodies of the webhooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ventanilla.outbox import delivery
from ventanilla.outbox.events import EventType
from ventanilla.outbox.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from ventanilla.outbox.policy import WEBHOOK_URL_PATTERN

ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "url": "https://tienda.example.com/hooks/ventanilla",
    "description": "Order desk",
    "events": ["order.address_changed", "return.requested"],
    "active": True,
    "created_at": "2025-03-01T10:00:00Z",
    "disabled_at": None,
}
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"


def _single_line(value: str | None) -> str | None:
    if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must be one line, without control characters")
    return value


class WebhookEndpointCreate(BaseModel):
    """Where to send events. `events` empty or left out means every event."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://tienda.example.com/hooks/ventanilla",
                    "events": ["order.address_changed", "return.requested"],
                    "description": "Order desk",
                }
            ]
        },
    )

    url: str = Field(
        min_length=1,
        max_length=2000,
        # Documented, and checked by the service, which says what exactly is wrong.
        json_schema_extra={"format": "uri", "pattern": WEBHOOK_URL_PATTERN},
        description="https:// URL (http:// only outside production) that receives the POSTs.",
    )
    events: list[EventType] = Field(
        default_factory=list,
        max_length=50,
        description="Event types to receive; empty means all of them.",
    )
    description: str | None = Field(
        default=None, max_length=200, json_schema_extra={"pattern": SINGLE_LINE}
    )

    _check_description = field_validator("description")(_single_line)


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENDPOINT_EXAMPLE]})

    id: int
    url: str
    description: str | None
    events: list[str] = Field(description="Subscribed event types; empty means all.")
    active: bool
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookEndpointRead:
        return cls(
            id=endpoint.id or 0,
            url=endpoint.url,
            description=endpoint.description,
            events=list(endpoint.events),
            active=endpoint.disabled_at is None,
            created_at=endpoint.created_at,
            disabled_at=endpoint.disabled_at,
        )


class WebhookEndpointCreatedRead(WebhookEndpointRead):
    """The new endpoint with its signing secret, shown only in this response."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}]}
    )

    secret: str = Field(
        description="Standard Webhooks secret (whsec_…) to verify signatures; store it now."
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookEndpointCreatedRead:
        read = WebhookEndpointRead.of(endpoint)
        return cls(**read.model_dump(), secret=endpoint.secret)


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointRead]
    count: int


class WebhookDeliveryRead(BaseModel):
    """One attempt to deliver one event."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "message_id": "msg_0f8a41c3d2b94a3e8e1b7c6d5a4f3e2d",
                    "event_type": "order.amended",
                    "attempt": 2,
                    "delivered": False,
                    "status_code": 503,
                    "error": "HTTP 503: Service Unavailable",
                    "duration_ms": 41,
                    "attempted_at": "2025-03-01T10:00:20Z",
                }
            ]
        },
    )

    id: int
    message_id: str = Field(description="The webhook-id header; the same on every retry.")
    event_type: str
    attempt: int
    delivered: bool
    status_code: int | None = Field(description="HTTP status answered, none if no answer.")
    error: str | None
    duration_ms: int | None
    attempted_at: datetime

    @classmethod
    def of(cls, row: WebhookDelivery) -> WebhookDeliveryRead:
        code = row.status_code
        return cls(
            id=row.id or 0,
            message_id=row.message_id,
            event_type=row.event_type,
            attempt=row.attempt,
            delivered=code is not None and 200 <= code < 300,
            status_code=code,
            error=delivery.public_error(row.error, code),
            duration_ms=row.duration_ms,
            attempted_at=row.attempted_at,
        )


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDeliveryRead] = Field(description="Newest attempt first.")
    count: int = Field(description="Attempts logged for this endpoint in all.")


class WebhookMessageRead(BaseModel):
    """A queued event for one endpoint."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "msg_0f8a41c3d2b94a3e8e1b7c6d5a4f3e2d",
                    "endpoint_id": 1,
                    "event_type": "ping",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": "2025-03-01T10:00:00Z",
                    "last_error": None,
                    "sent_at": None,
                }
            ]
        }
    )

    id: str = Field(description="The webhook-id the endpoint will see.")
    endpoint_id: int | None
    event_type: str
    status: str = Field(description="pending, sent or dead (gave up after every retry).")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None

    @classmethod
    def of(cls, message: OutboxMessage) -> WebhookMessageRead:
        return cls(
            id=message.id,
            endpoint_id=message.endpoint_id,
            event_type=str(message.payload.get("type", "")),
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            last_error=delivery.public_error(message.last_error, None)
            if message.kind == "webhook"
            else message.last_error,
            sent_at=message.sent_at,
        )
