"""Extra payments (PaymentIntents confirmed on the page) and Stripe's webhook: verified,
deduplicated by event id, applied once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from tests.payments.helpers import (
    HandlerCalls,
    activity_kinds,
    entry,
    event_body,
    make_change,
    paid_order,
)
from tests.servers import LOOPBACK, free_port, wait_for
from tests.stripe_server import LocalStripe, sign
from ventanilla.config import Settings, use_settings
from ventanilla.db import session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order, OrderChange
from ventanilla.payments import service
from ventanilla.payments.exceptions import (
    PaymentAlreadySucceeded,
    PaymentProviderUnavailable,
    PaymentRejected,
)
from ventanilla.payments.models import PaymentEntry, StripeEvent

WEBHOOK = "/api/v1/stripe/webhook"


def start(order: Order, change: OrderChange, amount_minor: int) -> PaymentEntry:
    with session_scope() as session:
        locked = orders_repository.get_by_number(session, order.number, for_update=True)
        assert locked is not None and change.id is not None
        return service.start_payment(
            session, order=locked, change_id=change.id, amount_minor=amount_minor
        )


def deliver(client: TestClient, body: str, *, signature: str | None = None) -> Any:
    return client.post(
        WEBHOOK,
        content=body.encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature if signature is not None else sign(body),
        },
    )


def stored_events() -> list[StripeEvent]:
    with session_scope(write=False) as session:
        return list(session.exec(select(StripeEvent).order_by(col(StripeEvent.id))).all())


@pytest.fixture
def awaiting(session: Session, stripe_settings: Settings, localstripe: LocalStripe) -> PaymentEntry:
    """An order with a change waiting for its extra payment of 1500."""
    order = paid_order(session, localstripe, 5000)
    change = make_change(session, order, new_total_minor=6500, status="awaiting_payment")
    return start(order, change, 1500)


class TestStartPayment:
    def test_creates_a_payment_intent_and_a_pending_charge(
        self, awaiting: PaymentEntry, localstripe: LocalStripe
    ) -> None:
        assert awaiting.kind == "charge"
        assert awaiting.status == "pending"
        assert awaiting.idempotency_key == f"charge:change:{awaiting.change_id}"
        assert awaiting.provider_id and awaiting.provider_id.startswith("pi_")
        assert awaiting.client_secret and awaiting.client_secret.startswith(awaiting.provider_id)
        intent = localstripe.intent(awaiting.provider_id)
        assert (intent.amount, intent.currency) == (1500, "eur")
        assert intent.metadata["change_id"] == str(awaiting.change_id)
        assert intent.status == "requires_payment_method"

    def test_a_reload_returns_the_same_payment(
        self, session: Session, awaiting: PaymentEntry, localstripe: LocalStripe
    ) -> None:
        order = session.get(Order, awaiting.order_id)
        change = session.get(OrderChange, awaiting.change_id)
        assert order is not None and change is not None
        again = start(order, change, 1500)
        assert (again.id, again.provider_id) == (awaiting.id, awaiting.provider_id)
        assert len(localstripe.client().v1.payment_intents.list().data) == 2  # order's + this

    def test_the_checkout_context_has_what_stripe_js_needs(
        self, awaiting: PaymentEntry, localstripe: LocalStripe
    ) -> None:
        context = service.checkout_context(awaiting, return_url="http://testserver/orders/X")
        assert context == {
            "js_url": localstripe.js_url,
            "publishable_key": "pk_test_ventanilla_localstripe",
            "client_secret": awaiting.client_secret,
            "return_url": "http://testserver/orders/X",
        }

    def test_stripe_down_is_a_clear_503_and_records_nothing(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=6500, status="awaiting_payment")
        closed = f"http://{LOOPBACK}:{free_port()}"
        use_settings(stripe_settings.model_copy(update={"stripe_api_base": closed}))
        with pytest.raises(PaymentProviderUnavailable) as down:
            start(order, change, 1500)
        assert down.value.status_code == 503
        assert service.ledger_for_order(session, order_id=order.id or 0) == []
        use_settings(stripe_settings)
        assert start(order, change, 1500).status == "pending"  # the shopper retries

    def test_a_payment_stripe_refuses_is_a_clear_422(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=6500, status="awaiting_payment")
        with session_scope() as s:
            odd = orders_repository.get_by_number(s, order.number)
            assert odd is not None
            s.expunge(odd)
            odd.currency = ""  # localstripe refuses it as Stripe refuses an unknown currency
            with pytest.raises(PaymentRejected) as refused:
                service.start_payment(s, order=odd, change_id=change.id or 0, amount_minor=1500)
        assert refused.value.status_code == 422
        assert service.ledger_for_order(session, order_id=order.id or 0) == []


class TestCancelPayment:
    def test_cancels_an_unpaid_intent(
        self, awaiting: PaymentEntry, localstripe: LocalStripe
    ) -> None:
        with session_scope() as s:
            canceled = service.cancel_payment(s, entry=awaiting)
        assert canceled.status == "canceled"
        assert localstripe.intent(str(awaiting.provider_id)).status == "canceled"
        assert "payment.canceled" in activity_kinds(awaiting.order_id)

    def test_a_paid_intent_is_not_canceled(
        self, awaiting: PaymentEntry, localstripe: LocalStripe
    ) -> None:
        localstripe.pay(str(awaiting.provider_id))
        with pytest.raises(PaymentAlreadySucceeded), session_scope() as s:
            service.cancel_payment(s, entry=awaiting)
        assert entry(awaiting.id or 0).status == "pending"  # the webhook will apply it


class TestWebhook:
    def test_a_succeeded_payment_is_applied_once(
        self,
        awaiting: PaymentEntry,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
    ) -> None:
        localstripe.pay(str(awaiting.provider_id))
        [event] = [
            e
            for e in localstripe.events("payment_intent.succeeded")
            if e.data.object.id == awaiting.provider_id
        ]
        body = event_body(
            "payment_intent.succeeded", event.data.object.to_dict(), event_id=event.id
        )
        first = deliver(stripe_client, body)
        assert first.status_code == 200, first.text
        assert first.json() == {"received": True, "duplicate": False, "handled": True}
        assert handler_calls.calls == [("succeeded", awaiting.id, "succeeded")]
        assert entry(awaiting.id or 0).status == "succeeded"
        [stored] = stored_events()
        assert stored.id == event.id and stored.processed_at is not None

        replay = deliver(stripe_client, body)
        assert replay.status_code == 200
        assert replay.json()["duplicate"] is True
        assert len(handler_calls.calls) == 1
        assert activity_kinds(awaiting.order_id).count("payment.succeeded") == 1

    def test_another_event_for_an_applied_payment_changes_nothing(
        self,
        awaiting: PaymentEntry,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
    ) -> None:
        localstripe.pay(str(awaiting.provider_id))
        obj = localstripe.intent(str(awaiting.provider_id)).to_dict()
        deliver(stripe_client, event_body("payment_intent.succeeded", obj, event_id="evt_a"))
        again = deliver(
            stripe_client, event_body("payment_intent.succeeded", obj, event_id="evt_b")
        )
        assert again.json() == {"received": True, "duplicate": False, "handled": False}
        assert len(handler_calls.calls) == 1

    def test_a_failed_payment_calls_the_failure_handler(
        self,
        awaiting: PaymentEntry,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
    ) -> None:
        with pytest.raises(Exception, match="declined"):
            localstripe.pay(str(awaiting.provider_id), "pm_card_chargeCustomerFail")
        [event] = localstripe.events("payment_intent.payment_failed")
        body = event_body(
            "payment_intent.payment_failed", event.data.object.to_dict(), event_id=event.id
        )
        assert deliver(stripe_client, body).json()["handled"] is True
        assert handler_calls.calls == [("failed", awaiting.id, "failed")]
        failed = entry(awaiting.id or 0)
        assert failed.status == "failed"
        assert failed.last_error and "declined" in failed.last_error

    def test_a_canceled_intent_calls_the_failure_handler(
        self,
        awaiting: PaymentEntry,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
        localstripe: LocalStripe,
    ) -> None:
        obj = localstripe.intent(str(awaiting.provider_id)).to_dict() | {"status": "canceled"}
        body = event_body("payment_intent.canceled", obj, event_id="evt_canceled")
        assert deliver(stripe_client, body).status_code == 200
        assert handler_calls.calls == [("failed", awaiting.id, "canceled")]

    def test_an_intent_that_is_not_ours_and_unknown_events_are_ignored(
        self,
        session: Session,
        stripe_settings: Settings,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        obj = localstripe.intent(str(order.payment_reference)).to_dict()
        ours = deliver(stripe_client, event_body("payment_intent.succeeded", obj, event_id="e1"))
        assert ours.json() == {"received": True, "duplicate": False, "handled": False}
        other = deliver(
            stripe_client, event_body("customer.created", {"id": "cus_1"}, event_id="e2")
        )
        assert other.status_code == 200 and other.json()["handled"] is False
        assert handler_calls.calls == []
        assert [e.id for e in stored_events()] == ["e1", "e2"]

    @pytest.mark.parametrize(
        "case",
        ["wrong_secret", "tampered_body", "stale_timestamp", "no_header", "garbage_header"],
    )
    def test_an_unverifiable_webhook_is_a_400_and_changes_nothing(
        self,
        case: str,
        awaiting: PaymentEntry,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        handler_calls: HandlerCalls,
    ) -> None:
        localstripe.pay(str(awaiting.provider_id))
        obj = localstripe.intent(str(awaiting.provider_id)).to_dict()
        body = event_body("payment_intent.succeeded", obj, event_id="evt_forged")
        signature = {
            "wrong_secret": sign(body, secret="whsec_not_the_shops"),
            "tampered_body": sign(body.replace("evt_forged", "evt_other")),
            "stale_timestamp": sign(body, timestamp=int(time.time()) - 301),
            "no_header": "",
            "garbage_header": "t=abc,v1=",
        }[case]
        response = deliver(stripe_client, body, signature=signature)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_stripe_webhook"
        assert handler_calls.calls == []
        assert stored_events() == []
        assert entry(awaiting.id or 0).status == "pending"

    @pytest.mark.parametrize(
        "body",
        [
            "not json",
            "[1, 2]",
            '{"id": "evt_1"}',
            '{"id": "evt_1", "type": "x", "data": {}}',
            '{"id": 5, "type": "x", "data": {"object": {}}}',
        ],
    )
    def test_a_signed_body_that_is_not_an_event_is_a_400(
        self, body: str, stripe_client: TestClient, handler_calls: HandlerCalls
    ) -> None:
        response = deliver(stripe_client, body)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_stripe_webhook"
        assert stored_events() == []

    def test_without_a_webhook_secret_the_endpoint_is_not_there(
        self, stripe_settings: Settings, handler_calls: HandlerCalls
    ) -> None:
        from ventanilla.app import create_app

        app = create_app(stripe_settings.model_copy(update={"stripe_webhook_secret": None}))
        with TestClient(app) as client:
            response = deliver(client, event_body("payment_intent.succeeded", {"id": "pi_1"}))
        assert response.status_code == 404
        assert response.json()["code"] == "stripe_webhooks_not_configured"

    def test_it_is_not_in_the_store_api_schema(self, stripe_client: TestClient) -> None:
        assert WEBHOOK not in stripe_client.get("/openapi.json").json()["paths"]


@pytest.fixture
def live_app(stripe_settings: Settings, localstripe: LocalStripe) -> Iterator[str]:
    """The app served by uvicorn on loopback, with localstripe's webhook pointed at it."""
    from ventanilla.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(stripe_settings), host=LOOPBACK, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn")
    url = f"http://{LOOPBACK}:{port}"
    localstripe.register_webhook(url + WEBHOOK)
    try:
        yield url
    finally:
        localstripe.unregister_webhook()
        server.should_exit = True
        thread.join(timeout=10)


def test_the_stripe_js_stand_in_path_pays_and_is_delivered(
    awaiting: PaymentEntry,
    localstripe: LocalStripe,
    live_app: str,
    handler_calls: HandlerCalls,
) -> None:
    # The e2e path: the PaymentIntent needs 3-D Secure, the page's stand-in completes it.
    localstripe.require_authentication(str(awaiting.provider_id))
    paid = localstripe.authenticate(str(awaiting.provider_id), str(awaiting.client_secret))
    assert paid["status"] == "succeeded"
    wait_for(lambda: bool(handler_calls.calls), what="the webhook")
    assert handler_calls.calls == [("succeeded", awaiting.id, "succeeded")]


def test_localstripe_delivers_the_payment_and_the_handler_applies_it(
    awaiting: PaymentEntry,
    localstripe: LocalStripe,
    live_app: str,
    handler_calls: HandlerCalls,
) -> None:
    # What happens in production: Stripe.js confirms on the page, Stripe calls our webhook.
    localstripe.pay(str(awaiting.provider_id))
    wait_for(lambda: bool(handler_calls.calls), what="the webhook")
    assert handler_calls.calls == [("succeeded", awaiting.id, "succeeded")]
    # The handler ran inside the webhook's transaction; its commit follows a moment later.
    wait_for(lambda: entry(awaiting.id or 0).status == "succeeded", what="the ledger row")
