"""Helpers shared by the outbox tests."""

from __future__ import annotations

from sqlmodel import col, select

from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.outbox import service
from ventanilla.outbox.models import OutboxMessage, WebhookDelivery, WebhookEndpoint

STORE = Actor.store("Tienda de prueba")


def add_endpoint(url: str, *, events: list[str] | None = None) -> WebhookEndpoint:
    """Register an endpoint through the service, committed."""
    with session_scope() as session:
        return service.create_endpoint(session, actor=STORE, url=url, events=events)


def outbox() -> list[OutboxMessage]:
    """Every outbox row, read in a fresh transaction (so SQLite shows the latest commit)."""
    with session_scope(write=False) as session:
        stmt = select(OutboxMessage).order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        return list(session.exec(stmt).all())


def message(message_id: str) -> OutboxMessage:
    with session_scope(write=False) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def deliveries(message_id: str) -> list[WebhookDelivery]:
    """The delivery log of one message, oldest attempt first."""
    with session_scope(write=False) as session:
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.message_id == message_id)
            .order_by(col(WebhookDelivery.id))
        )
        return list(session.exec(stmt).all())
