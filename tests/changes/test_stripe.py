"""Amendments that move money through Stripe (the real SDK against localstripe on loopback)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.access.helpers import login
from tests.changes.support import (
    actor_for,
    changes_of,
    customer_of,
    outbox_messages,
    reload_order,
    shop,
    snapshot,
    stock_of,
)
from tests.payments.helpers import event_body
from tests.stripe_server import LocalStripe, sign
from ventanilla.changes import service, tasks
from ventanilla.changes.amounts import SetQuantity
from ventanilla.config import Settings
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.payments import service as payments
from ventanilla.payments.models import PaymentEntry

WEBHOOK = "/api/v1/stripe/webhook"


def base(order: Order) -> str:
    return f"/api/v1/me/orders/{order.number}/amendments"


def paid_shop(session: Session, localstripe: LocalStripe, **kwargs: Any):  # type: ignore[no-untyped-def]
    """An order of 12.10 + 24.20 paid in full through (local)Stripe."""
    intent = localstripe.paid_intent(3630, "eur")
    return shop(session, prices=(1210, 2420), payment_reference=intent, **kwargs)


def ledger(order: Order) -> list[PaymentEntry]:
    with session_scope(write=False) as s:
        return list(
            s.exec(
                select(PaymentEntry)
                .where(PaymentEntry.order_id == order.id)
                .order_by(PaymentEntry.id)
            )
        )


def deliver(client: TestClient, event_type: str, obj: dict[str, Any], event_id: str) -> Any:
    body = event_body(event_type, obj, event_id=event_id)
    return client.post(
        WEBHOOK,
        content=body.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
    )


def request_change(order: Order, actions: list[Any]) -> int:
    customer = customer_of(order)
    with session_scope() as s:
        change = service.request_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version,
            actions=actions,
        )
        assert change.id is not None
        return change.id


class TestRefund:
    def test_a_lower_total_is_refunded_once_to_the_original_payment(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        order, _products, _extras = paid_shop(session, localstripe)
        login(stripe_client, order.customer_id)
        created = stripe_client.post(
            base(order), json={"version": 1, "actions": [{"action": "remove_line", "line_no": 2}]}
        ).json()
        assert created["settlement"] == "refund"
        response = stripe_client.post(f"{base(order)}/{created['id']}/confirm", json={"version": 1})
        assert response.status_code == 200, response.text
        data = response.json()
        assert (data["status"], data["settlement"], data["refund_minor"]) == (
            "confirmed",
            "refund",
            2420,
        )
        # The route made the refund right after the commit (a background task).
        [refund] = localstripe.refunds(str(order.payment_reference))
        assert refund.amount == 2420
        [entry] = ledger(order)
        assert (entry.kind, entry.status, entry.amount_minor) == ("refund", "succeeded", 2420)
        assert entry.provider_id == refund.id
        [email] = outbox_messages("email")
        assert "24,20" in email.payload["text"] and "tarjeta" in email.payload["text"]
        assert outbox_messages("webhook") == []  # no endpoint registered in this test

    def test_the_page_confirms_and_refunds(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        from tests.access.helpers import post_form

        order, _products, _extras = paid_shop(session, localstripe)
        login(stripe_client, order.customer_id)
        created = post_form(
            stripe_client,
            f"/orders/{order.number}/items/preview",
            {"version": "1", "qty_1": "1", "qty_2": "0"},
        )
        change_url = created.headers["location"]
        page = stripe_client.get(change_url).text
        assert "We will refund €24.20 to your card." in page
        change_id = change_url.rsplit("/", 1)[1]
        confirmed = post_form(
            stripe_client,
            f"/orders/{order.number}/items/confirm",
            {"change_id": change_id, "version": "1"},
        )
        assert confirmed.status_code == 303
        assert len(localstripe.refunds(str(order.payment_reference))) == 1

    def test_fifty_concurrent_confirms_make_one_refund(
        self,
        postgres_only: None,
        session: Session,
        localstripe: LocalStripe,
        stripe_settings: Settings,
    ) -> None:
        order, _products, _extras = paid_shop(session, localstripe)
        change_id = request_change(order, [SetQuantity(2, 0)])
        customer = customer_of(order)
        barrier = threading.Barrier(50)
        outcomes: list[str] = []
        errors: list[BaseException] = []

        def click() -> None:
            try:
                barrier.wait()
                with session_scope() as s:
                    result = service.confirm_amendment(
                        s,
                        actor=actor_for(customer),
                        customer=customer,
                        number=order.number,
                        change_id=change_id,
                        version=1,
                    )
                    refund_id = result.refund.id if result.refund else None
                    outcome = result.outcome
                outcomes.append(outcome)
                if refund_id is not None:  # after commit, as the route does
                    payments.execute_refund_now(refund_id)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=click) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert sorted(outcomes) == ["confirmed"] + ["unchanged"] * 49
        assert reload_order(order.number)[0].version == 2
        [entry] = ledger(order)
        # Anyone retrying it (the worker, a reload) finds it done.
        for _ in range(3):
            payments.execute_refund_now(entry.id or 0)
        assert len(localstripe.refunds(str(order.payment_reference))) == 1


class TestPayment:
    def test_a_higher_total_is_paid_on_the_page_and_applied_by_the_webhook(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        order, products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        created = stripe_client.post(
            base(order),
            json={
                "version": 1,
                "actions": [{"action": "set_quantity", "line_no": 1, "quantity": 3}],
            },
        ).json()
        assert created["settlement"] == "payment"
        assert stock_of(products[0].sku) == 3
        confirmed = stripe_client.post(
            f"{base(order)}/{created['id']}/confirm", json={"version": 1}
        )
        data = confirmed.json()
        assert (confirmed.status_code, data["status"]) == (200, "awaiting_payment")
        payment = data["payment"]
        assert payment["amount_minor"] == 2420 and payment["client_secret"]
        assert payment["js_url"] == localstripe.js_url
        assert payment["return_url"].endswith(f"/orders/{order.number}/changes/{created['id']}")
        # Nothing applied yet.
        assert reload_order(order.number)[0].version == 1

        page = stripe_client.get(f"/orders/{order.number}/changes/{created['id']}/pay")
        assert page.status_code == 200
        assert f'<script src="{localstripe.js_url}" nonce="' in page.text
        assert 'src="/static/js/pay.js"' in page.text
        assert payment["client_secret"] in page.text
        assert localstripe.url in page.headers["content-security-policy"]
        assert "Pay €24.20" in page.text

        # What Stripe.js does on the page, then Stripe's webhook.
        [entry] = ledger(order)
        localstripe.pay(str(entry.provider_id))
        [event] = [
            e
            for e in localstripe.events("payment_intent.succeeded")
            if e.data.object.id == entry.provider_id
        ]
        answer = deliver(
            stripe_client, "payment_intent.succeeded", event.data.object.to_dict(), event.id
        )
        assert answer.status_code == 200, answer.text
        stored, lines = reload_order(order.number)
        assert (stored.version, [ln.quantity for ln in lines]) == (2, [3, 1])
        assert stored.total_minor == 3630 + 2420
        [change] = changes_of(order)
        assert (change.status, change.settlement) == ("confirmed", "payment")
        assert stock_of(products[0].sku) == 3  # the held units are sold now
        [email] = outbox_messages("email")
        assert "Hemos recibido tu pago de 24,20" in email.payload["text"]
        # A replay changes nothing.
        again = deliver(
            stripe_client, "payment_intent.succeeded", event.data.object.to_dict(), event.id
        )
        assert again.json()["duplicate"] is True
        assert reload_order(order.number)[0].version == 2
        state = stripe_client.get(f"/orders/{order.number}/changes/{created['id']}").text
        assert "We received your payment of €24.20." in state

    def test_a_failed_payment_declines_the_change_and_gives_the_stock_back(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        order, products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        change_id = request_change(order, [SetQuantity(1, 3)])
        stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        [entry] = ledger(order)
        with pytest.raises(Exception, match="declined"):
            localstripe.pay(str(entry.provider_id), "pm_card_chargeCustomerFail")
        [event] = localstripe.events("payment_intent.payment_failed")
        deliver(
            stripe_client, "payment_intent.payment_failed", event.data.object.to_dict(), event.id
        )
        [change] = changes_of(order)
        assert (change.status, change.decline_code) == ("declined", "payment_failed")
        assert stock_of(products[0].sku) == 5
        assert reload_order(order.number)[0].version == 1
        page = stripe_client.get(f"/orders/{order.number}/changes/{change_id}").text
        assert "The payment did not go through, so your order was not changed." in page

    def test_paid_after_the_packing_claim_is_refunded_not_applied(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        from ventanilla.core.actors import Actor
        from ventanilla.orders import service as orders_service

        order, products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        change_id = request_change(order, [SetQuantity(1, 2)])
        stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        [charge] = ledger(order)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        localstripe.pay(str(charge.provider_id))
        [event] = [
            e
            for e in localstripe.events("payment_intent.succeeded")
            if e.data.object.id == charge.provider_id
        ]
        deliver(stripe_client, "payment_intent.succeeded", event.data.object.to_dict(), event.id)
        [change] = changes_of(order)
        assert (change.status, change.decline_code) == ("declined", "packing_started")
        assert stock_of(products[0].sku) == 5
        stored, lines = reload_order(order.number)
        assert [ln.quantity for ln in lines] == [1, 1]
        charge_row, refund_row = ledger(order)
        assert (refund_row.kind, refund_row.amount_minor) == ("refund", 1210)
        # The webhook route made the refund after its commit, on the extra payment itself.
        [refund] = localstripe.refunds(str(charge.provider_id))
        assert refund.amount == 1210

    def test_stripe_down_at_confirm_keeps_the_change_requested(
        self,
        session: Session,
        engine: Engine,
        localstripe: LocalStripe,
        stripe_client: TestClient,
    ) -> None:
        order, _products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        change_id = request_change(order, [SetQuantity(1, 2)])
        before = snapshot(engine)
        localstripe.pause()
        try:
            response = stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        finally:
            localstripe.resume()
        assert (response.status_code, response.json()["code"]) == (
            503,
            "payment_provider_unavailable",
        )
        assert snapshot(engine) == before
        # Once Stripe answers again the same click works.
        retry = stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        assert retry.json()["status"] == "awaiting_payment"

    def test_cancel_while_awaiting_payment_cancels_the_intent(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        order, products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        change_id = request_change(order, [SetQuantity(1, 3)])
        stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        response = stripe_client.post(f"{base(order)}/{change_id}/cancel", json={})
        assert response.json()["status"] == "canceled"
        [charge] = ledger(order)
        assert charge.status == "canceled"
        assert localstripe.intent(str(charge.provider_id)).status == "canceled"
        assert stock_of(products[0].sku) == 5


class TestUnpaidChangesExpire:
    def test_an_unpaid_change_is_withdrawn_after_two_hours_its_intent_canceled(
        self, session: Session, localstripe: LocalStripe, stripe_client: TestClient
    ) -> None:
        from datetime import timedelta

        from ventanilla.core import clock

        order, products, _extras = paid_shop(session, localstripe, stock=5)
        login(stripe_client, order.customer_id)
        change_id = request_change(order, [SetQuantity(1, 3)])
        confirmed = stripe_client.post(f"{base(order)}/{change_id}/confirm", json={"version": 1})
        assert confirmed.json()["status"] == "awaiting_payment"
        assert stock_of(products[0].sku) == 3

        assert tasks.expire_abandoned() == 0  # still fresh: the shopper may be paying
        with clock.frozen(clock.now() + service.PAYMENT_TTL + timedelta(minutes=1)):
            assert tasks.expire_abandoned() == 1
        state = stripe_client.get(f"{base(order)}/{change_id}").json()
        assert state["status"] == "canceled"
        [charge] = ledger(order)
        assert charge.status == "canceled"
        assert localstripe.intent(str(charge.provider_id)).status == "canceled"
        assert stock_of(products[0].sku) == 5
