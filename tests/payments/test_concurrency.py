"""PostgreSQL only: 50 concurrent attempts at one refund make exactly one refund at Stripe."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.payments.helpers import (
    HandlerCalls,
    activity_kinds,
    entry,
    event_body,
    make_change,
    paid_order,
)
from tests.payments.test_charges_and_webhooks import WEBHOOK, start
from tests.payments.test_refunds import request
from tests.shipping.test_shipping_concurrency import race
from tests.stripe_server import LocalStripe, sign
from ventanilla.app import create_app
from ventanilla.config import Settings
from ventanilla.payments import service


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers, so only PostgreSQL can race the claim for real")


@pytest.mark.postgres_only
@pytest.mark.usefixtures("postgres_only")
class TestRefundRace:
    def test_fifty_concurrent_attempts_make_exactly_one_refund(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        # localstripe ignores idempotency keys: only our claim stands between 50 clicks and
        # 50 refunds.
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        assert row.id is not None
        entry_id = row.id
        jobs = itertools.cycle(
            [service.execute_refunds, lambda: service.execute_refund_now(entry_id)]
        )
        picks = [next(jobs) for _ in range(50)]
        counter = itertools.count()
        results = race(50, lambda: picks[next(counter)]())
        assert [r for r in results if isinstance(r, Exception)] == []
        refunds = localstripe.refunds(str(order.payment_reference))
        assert [r.amount for r in refunds] == [2000]
        done = entry(entry_id)
        assert (done.status, done.attempts, done.provider_id) == ("succeeded", 1, refunds[0].id)
        assert activity_kinds(order.id or 0).count("refund.succeeded") == 1

    def test_fifty_concurrent_deliveries_of_one_event_apply_it_once(
        self,
        session: Session,
        stripe_settings: Settings,
        localstripe: LocalStripe,
        handler_calls: HandlerCalls,
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=6500, status="awaiting_payment")
        charge = start(order, change, 1500)
        localstripe.pay(str(charge.provider_id))
        obj = localstripe.intent(str(charge.provider_id)).to_dict()
        body = event_body("payment_intent.succeeded", obj, event_id="evt_race")
        app = create_app(stripe_settings)

        def deliver() -> tuple[int, bool]:
            client = TestClient(app, base_url="http://testserver")
            response = client.post(
                WEBHOOK,
                content=body.encode(),
                headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
            )
            return response.status_code, bool(response.json().get("handled"))

        results = race(50, deliver)
        assert sorted(results) == [(200, False)] * 49 + [(200, True)]
        assert handler_calls.calls == [("succeeded", charge.id, "succeeded")]
