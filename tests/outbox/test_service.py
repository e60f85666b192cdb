"""emit_event: who gets a message, and what it holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.outbox.helpers import STORE, add_endpoint
from ventanilla.config import Settings
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.outbox import service
from ventanilla.outbox.events import EVENT_DESCRIPTIONS, EVENT_TYPES, EventType


class TestEmitEvent:
    def test_only_active_subscribed_endpoints_get_a_message(self, settings: Settings) -> None:
        everything = add_endpoint("https://a.example/hooks")
        amended_only = add_endpoint("https://b.example/hooks", events=["order.amended"])
        returns_only = add_endpoint("https://c.example/hooks", events=["return.requested"])
        switched_off = add_endpoint("https://d.example/hooks")
        with session_scope() as session:
            service.disable_endpoint(session, actor=STORE, endpoint_id=switched_off.id or 0)

        with session_scope() as session:
            amended = service.emit_event(session, type="order.amended", data={"n": 1})
            claimed = service.emit_event(session, type="claim.opened", data={"n": 2})
        assert {m.endpoint_id for m in amended} == {everything.id, amended_only.id}
        assert {m.endpoint_id for m in claimed} == {everything.id}
        assert returns_only.id not in {m.endpoint_id for m in amended + claimed}

    def test_message_is_a_standard_webhooks_event(self, settings: Settings) -> None:
        add_endpoint("https://a.example/hooks")
        at = datetime(2025, 3, 1, 10, 0, 5, tzinfo=UTC)
        with clock.frozen(at), session_scope() as session:
            (message,) = service.emit_event(
                session, type="order.status_changed", data={"number": "ES-1", "at": at}
            )
        assert message.id.startswith("msg_") and len(message.id) <= 40
        assert (message.kind, message.status, message.attempts) == ("webhook", "pending", 0)
        assert message.next_attempt_at == at
        assert message.payload == {
            "type": "order.status_changed",
            "timestamp": "2025-03-01T10:00:05Z",
            "data": {"number": "ES-1", "at": "2025-03-01T10:00:05Z"},
        }

    def test_no_endpoints_means_no_messages(self, settings: Settings) -> None:
        with session_scope() as session:
            assert service.emit_event(session, type="order.amended", data={}) == []

    def test_unknown_event_type_is_a_programming_error(self, settings: Settings) -> None:
        with session_scope() as session, pytest.raises(ValueError):
            service.emit_event(session, type="order.amendd", data={})


class TestEvents:
    def test_every_event_is_documented(self) -> None:
        assert set(EVENT_DESCRIPTIONS) == EVENT_TYPES
        for name in ("order.address_changed", "order.amended", "return.requested", "ping"):
            assert EventType(name).value == name


class TestSecrets:
    def test_secrets_are_standard_webhooks_secrets_and_unique(self) -> None:
        secrets = {service.new_webhook_secret() for _ in range(20)}
        assert len(secrets) == 20
        assert all(s.startswith("whsec_") and len(s) > 40 for s in secrets)
