"""Webhook delivery to a real HTTP server on loopback: signatures, retries, backoff, the log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.outbox.helpers import STORE, add_endpoint, deliveries, message, outbox
from tests.servers import WebhookReceiver, free_port
from ventanilla.config import Settings
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.outbox import sender, service

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def emit(type: str = "order.amended", **data: object) -> list[str]:
    with session_scope() as session:
        return [m.id for m in service.emit_event(session, type=type, data=data or {"n": 1})]


class TestSigning:
    def test_delivery_verifies_with_the_endpoint_secret(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        endpoint = add_endpoint(webhook_receiver.url)
        (message_id,) = emit(number="ES-1001", placed_at=T0)
        assert sender.drain_once() == 1

        (request,) = webhook_receiver.requests
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"] == message_id
        payload = Webhook(endpoint.secret).verify(request.body, request.headers)
        assert payload["type"] == "order.amended"
        assert payload["data"] == {"number": "ES-1001", "placed_at": "2025-03-01T10:00:00Z"}
        assert payload["timestamp"].endswith("Z")

        tampered = request.body.replace(b"ES-1001", b"ES-9999")
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoint.secret).verify(tampered, request.headers)
        other_secret = service.new_webhook_secret()
        with pytest.raises(WebhookVerificationError):
            Webhook(other_secret).verify(request.body, request.headers)
        assert message(message_id).status == "sent"


class TestRetries:
    def test_failed_then_successful_attempt_keep_the_same_webhook_id(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        endpoint = add_endpoint(webhook_receiver.url)
        webhook_receiver.respond_with(500, 200)
        with clock.frozen(T0):
            (message_id,) = emit()
            assert sender.drain_once() == 1
            first = message(message_id)
            assert (first.status, first.attempts) == ("pending", 1)
            assert first.last_error == "http_5xx"

            clock.advance(timedelta(minutes=1))
            assert sender.drain_once() == 1

        assert [r.headers["webhook-id"] for r in webhook_receiver.requests] == [message_id] * 2
        bodies = {r.body for r in webhook_receiver.requests}
        assert len(bodies) == 1, "every attempt sends the same event"
        for request in webhook_receiver.requests:
            Webhook(endpoint.secret).verify(request.body, request.headers)
        done = message(message_id)
        assert (done.status, done.attempts, done.sent_at) == ("sent", 2, T0 + timedelta(minutes=1))

        log = deliveries(message_id)
        assert [(d.attempt, d.status_code) for d in log] == [(1, 500), (2, 200)]
        assert log[0].error == "http_5xx"
        assert log[1].error is None
        assert [d.attempted_at for d in log] == [T0, T0 + timedelta(minutes=1)]
        assert all(d.duration_ms is not None and d.duration_ms >= 0 for d in log)

    def test_backoff_grows_and_the_message_dies_after_max_attempts(
        self, webhook_receiver: WebhookReceiver, configure: Callable[..., Settings]
    ) -> None:
        configure(outbox_max_attempts=5, outbox_backoff_base_seconds=10.0)
        add_endpoint(webhook_receiver.url)
        webhook_receiver.respond_with(503)
        delays: list[timedelta] = []
        with clock.frozen(T0):
            (message_id,) = emit()
            for attempt in range(1, 6):
                assert sender.drain_once() == 1
                row = message(message_id)
                assert row.attempts == attempt
                if attempt == 5:
                    break
                delay = row.next_attempt_at - clock.now()
                delays.append(delay)
                clock.advance(delay - timedelta(seconds=1))
                assert sender.drain_once() == 0, "not due yet"
                clock.advance(timedelta(seconds=1))

            dead = message(message_id)
            assert dead.status == "dead"
            clock.advance(timedelta(days=30))
            assert sender.drain_once() == 0

        for n, delay in enumerate(delays, start=1):
            nominal = 10.0 * 2 ** (n - 1)
            assert nominal * 0.9 <= delay.total_seconds() <= nominal * 1.1
        assert delays == sorted(delays) and len(set(delays)) == len(delays)
        assert [d.attempt for d in deliveries(message_id)] == [1, 2, 3, 4, 5]
        assert len(webhook_receiver.requests) == 5
        assert [m.id for m in outbox()] == [message_id], "dead messages are kept"

    def test_redirects_are_not_followed(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        add_endpoint(webhook_receiver.url)
        webhook_receiver.respond_with(307)
        webhook_receiver.location = webhook_receiver.url + "/elsewhere"
        (message_id,) = emit()
        sender.drain_once()

        assert [r.path for r in webhook_receiver.requests] == ["/hooks"]
        assert [d.status_code for d in deliveries(message_id)] == [307]
        assert message(message_id).status == "pending"

    def test_unreachable_endpoint_is_logged_and_retried(self, settings: Settings) -> None:
        add_endpoint(f"http://127.0.0.1:{free_port()}/hooks")
        (message_id,) = emit()
        sender.drain_once()

        (attempt,) = deliveries(message_id)
        assert attempt.status_code is None
        assert attempt.error == "connection_refused"
        row = message(message_id)
        assert (row.status, row.attempts) == ("pending", 1)

    def test_messages_for_a_disabled_endpoint_die_unsent(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        endpoint = add_endpoint(webhook_receiver.url)
        (message_id,) = emit()
        with session_scope() as session:
            service.disable_endpoint(session, actor=STORE, endpoint_id=endpoint.id or 0)
        sender.drain_once()

        row = message(message_id)
        assert (row.status, row.attempts, row.last_error) == ("dead", 0, "endpoint disabled")
        assert webhook_receiver.requests == []
        assert deliveries(message_id) == []

    def test_each_endpoint_gets_its_own_message_and_secret(
        self, webhook_receiver: WebhookReceiver, settings: Settings
    ) -> None:
        first = add_endpoint(webhook_receiver.url + "/a")
        second = add_endpoint(webhook_receiver.url + "/b")
        ids = emit()
        assert len(ids) == 2
        sender.drain_once()

        by_path = {r.path: r for r in webhook_receiver.requests}
        assert set(by_path) == {"/hooks/a", "/hooks/b"}
        Webhook(first.secret).verify(by_path["/hooks/a"].body, by_path["/hooks/a"].headers)
        Webhook(second.secret).verify(by_path["/hooks/b"].body, by_path["/hooks/b"].headers)
        assert {r.headers["webhook-id"] for r in by_path.values()} == set(ids)
        bodies = [json.loads(r.body) for r in by_path.values()]
        assert [(b["type"], b["data"]) for b in bodies] == [("order.amended", {"n": 1})] * 2
