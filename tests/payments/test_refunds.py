"""Refunds through the ledger against localstripe: exactly once, never more than captured,
pending and retried while Stripe is down or slow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tests.payments.helpers import activity_kinds, emails_to, entry, make_change, paid_order
from tests.servers import free_port, wait_for
from tests.shipping.test_shipping_concurrency import race
from tests.stripe_server import LocalStripe
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.payments import provider, service
from ventanilla.payments.exceptions import (
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.payments.models import PaymentEntry


def request(number: str, change_id: int | None, amount_minor: int, **kw: Any) -> PaymentEntry:
    """request_refund in its own committed transaction, as the changes service would."""
    with session_scope() as session:
        order = orders_repository.get_by_number(session, number, for_update=True)
        assert order is not None
        return service.request_refund(
            session,
            order=order,
            change_id=change_id,
            amount_minor=amount_minor,
            reason="removed an item",
            **kw,
        )


class TestRequestRefund:
    def test_writes_a_pending_row_and_calls_nobody(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        assert row.status == "pending"
        assert row.kind == "refund"
        assert row.idempotency_key == f"refund:change:{change.id}"
        assert row.currency == "EUR"
        assert row.attempts == 0
        assert localstripe.refunds(str(order.payment_reference)) == []
        assert "refund.requested" in activity_kinds(order.id or 0)

    def test_the_same_change_asked_twice_is_one_row(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        first = request(order.number, change.id, 2000)
        second = request(order.number, change.id, 2000)
        assert first.id == second.id
        assert len(service.ledger_for_order(session, order_id=order.id or 0)) == 1

    def test_more_than_was_paid_is_refused_and_nothing_is_written(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        first = make_change(session, order, new_total_minor=2000)
        request(order.number, first.id, 3000)
        second = make_change(session, order, new_total_minor=0)
        with pytest.raises(RefundExceedsCaptured) as refused:
            request(order.number, second.id, 2500)
        assert refused.value.params["refundable_minor"] == 2000
        assert refused.value.status_code == 409
        assert len(service.ledger_for_order(session, order_id=order.id or 0)) == 1
        # What is left still fits.
        assert request(order.number, second.id, 2000).amount_minor == 2000

    def test_an_order_not_paid_through_stripe_is_refused(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        with session_scope() as s:
            locked = orders_repository.get_by_number(s, order.number, for_update=True)
            assert locked is not None
            locked.payment_reference = "bank-transfer-77"
        with pytest.raises(NoPaymentToRefund):
            request(order.number, change.id, 2000)

    def test_without_stripe_there_is_nothing_to_refund_through(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        use_settings(stripe_settings.model_copy(update={"stripe_secret_key": None}))
        assert not service.stripe_enabled()
        with pytest.raises(PaymentsNotConfigured):
            request(order.number, change.id, 2000)


class TestExecuteRefunds:
    def test_makes_one_refund_of_the_right_amount(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3001)
        row = request(order.number, change.id, 1999)
        assert service.execute_refunds() == 1
        refunds = localstripe.refunds(str(order.payment_reference))
        assert [(r.amount, r.metadata["ledger_id"]) for r in refunds] == [(1999, str(row.id))]
        done = entry(row.id or 0)
        assert done.status == "succeeded"
        assert done.provider_id == refunds[0].id
        assert done.attempts == 1
        assert done.last_error is None
        assert "refund.succeeded" in activity_kinds(order.id or 0)

    def test_running_it_again_makes_no_second_refund(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        assert service.execute_refunds() == 1
        assert service.execute_refunds() == 0
        assert service.execute_refund_now(row.id or 0) is True
        assert len(localstripe.refunds(str(order.payment_reference))) == 1

    def test_concurrent_runs_make_exactly_one_refund(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        calls = [service.execute_refunds, lambda: service.execute_refund_now(row.id or 0)]
        counter = iter(range(100))
        results = race(6, lambda: calls[next(counter) % 2]())
        assert not [r for r in results if isinstance(r, Exception)]
        assert len(localstripe.refunds(str(order.payment_reference))) == 1
        assert entry(row.id or 0).status == "succeeded"

    def test_execute_refund_now_answers_for_its_row_only(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        first = request(order.number, make_change(session, order, new_total_minor=4000).id, 1000)
        second = request(order.number, make_change(session, order, new_total_minor=3000).id, 1000)
        assert service.execute_refund_now(second.id or 0) is True
        assert entry(first.id or 0).status == "pending"
        assert entry(second.id or 0).status == "succeeded"

    def test_stripe_down_leaves_it_pending_with_backoff_then_it_succeeds(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        closed = f"http://127.0.0.1:{free_port()}"
        use_settings(stripe_settings.model_copy(update={"stripe_api_base": closed}))
        started = clock.now()
        assert service.execute_refunds(now=started) == 1
        assert service.execute_refund_now(row.id or 0) is False
        waiting = entry(row.id or 0)
        assert waiting.status == "pending"
        assert waiting.attempts == 1
        assert waiting.last_error and "APIConnectionError" in waiting.last_error
        assert waiting.next_attempt_at is not None and waiting.next_attempt_at > started
        # Not due yet: nothing is tried.
        assert service.execute_refunds(now=started) == 0
        later = waiting.next_attempt_at + timedelta(seconds=1)
        assert service.execute_refunds(now=later) == 1
        assert entry(row.id or 0).attempts == 2
        # Stripe is back.
        use_settings(stripe_settings)
        after_backoff = entry(row.id or 0).next_attempt_at
        assert (
            after_backoff is not None and after_backoff - later > waiting.next_attempt_at - started
        )
        assert service.execute_refunds(now=after_backoff + timedelta(seconds=1)) == 1
        done = entry(row.id or 0)
        assert (done.status, done.attempts, done.last_error) == ("succeeded", 3, None)
        assert [r.amount for r in localstripe.refunds(str(order.payment_reference))] == [2000]

    def test_a_timeout_after_stripe_made_the_refund_adopts_it_instead_of_a_second(
        self,
        session: Session,
        stripe_settings: Settings,
        localstripe: LocalStripe,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        use_settings(stripe_settings.model_copy(update={"stripe_timeout_seconds": 1.0}))
        create = provider.create_refund

        def stripe_hangs_on_create(**kwargs: Any) -> dict[str, Any]:
            # The request reaches Stripe, which answers only after we gave up waiting.
            localstripe.pause()
            try:
                return create(**kwargs)
            finally:
                localstripe.resume()

        monkeypatch.setattr(provider, "create_refund", stripe_hangs_on_create)
        started = clock.now()
        assert service.execute_refunds(now=started) == 1
        timed_out = entry(row.id or 0)
        assert timed_out.status == "pending"
        assert timed_out.last_error and "APIConnectionError" in timed_out.last_error
        intent = str(order.payment_reference)
        wait_for(lambda: len(localstripe.refunds(intent)) == 1, what="the late refund")
        monkeypatch.setattr(provider, "create_refund", create)
        assert timed_out.next_attempt_at is not None
        assert service.execute_refunds(now=timed_out.next_attempt_at + timedelta(seconds=1)) == 1
        refunds = localstripe.refunds(intent)
        assert len(refunds) == 1
        done = entry(row.id or 0)
        assert (done.status, done.provider_id) == ("succeeded", refunds[0].id)

    def test_more_than_is_left_at_stripe_fails_and_the_shop_is_told(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=1000)
        row = request(order.number, change.id, 4000)
        # Someone refunded 3000 in the Stripe dashboard meanwhile: 2000 is left, not 4000.
        localstripe.client().v1.refunds.create(
            params={"payment_intent": str(order.payment_reference), "amount": 3000}
        )
        assert service.execute_refunds() == 1
        failed = entry(row.id or 0)
        assert failed.status == "failed"
        assert failed.last_error and "exceeds" in failed.last_error
        assert failed.next_attempt_at is None
        assert len(localstripe.refunds(str(order.payment_reference))) == 1  # only the shop's
        assert "refund.failed" in activity_kinds(order.id or 0)
        [email] = emails_to(stripe_settings.shop_email)
        assert order.number in email["subject"]
        assert "40,00" in email["text"]  # in the shop's language (es)
        assert service.execute_refunds() == 0

    def test_a_refusal_from_stripe_fails_for_good(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        with session_scope() as s:
            locked = orders_repository.get_by_number(s, order.number, for_update=True)
            assert locked is not None
            locked.payment_reference = "pi_unknownToStripe"
        row = request(order.number, change.id, 2000)
        assert service.execute_refunds() == 1
        failed = entry(row.id or 0)
        assert failed.status == "failed"
        assert failed.last_error and "InvalidRequestError" in failed.last_error
        assert len(emails_to(stripe_settings.shop_email)) == 1

    def test_the_shop_hears_once_when_a_refund_keeps_failing(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        closed = f"http://127.0.0.1:{free_port()}"
        use_settings(
            stripe_settings.model_copy(update={"stripe_api_base": closed, "outbox_max_attempts": 3})
        )
        at = clock.now()
        for _ in range(5):
            assert service.execute_refunds(now=at) == 1
            at = (entry(row.id or 0).next_attempt_at or at) + timedelta(seconds=1)
        assert entry(row.id or 0).status == "pending"
        assert activity_kinds(order.id or 0).count("refund.delayed") == 1
        [email] = emails_to(stripe_settings.shop_email)
        assert "3" in email["text"]


class TestRefundCharge:
    def test_gives_back_an_extra_payment_on_its_own_intent(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=6500)
        with session_scope() as s:
            locked = orders_repository.get_by_number(s, order.number, for_update=True)
            assert locked is not None
            charge = service.start_payment(
                s, order=locked, change_id=change.id or 0, amount_minor=1500
            )
        localstripe.pay(str(charge.provider_id))
        with session_scope() as s:
            paid = s.get(PaymentEntry, charge.id)
            assert paid is not None
            paid.status = "succeeded"  # as the webhook would have recorded it
            s.add(paid)
        with session_scope() as s:
            paid = s.get(PaymentEntry, charge.id)
            assert paid is not None
            refund = service.refund_charge(s, entry=paid, reason="packed meanwhile")
            again = service.refund_charge(s, entry=paid, reason="packed meanwhile")
            assert again.id == refund.id
            assert service.new_refunds(s) == [refund.id]
        assert service.execute_refund_now(refund.id or 0) is True
        assert [r.amount for r in localstripe.refunds(str(charge.provider_id))] == [1500]
        assert localstripe.refunds(str(order.payment_reference)) == []

    def test_only_a_succeeded_charge_can_be_refunded(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=6500)
        with session_scope() as s:
            locked = orders_repository.get_by_number(s, order.number, for_update=True)
            assert locked is not None
            charge = service.start_payment(
                s, order=locked, change_id=change.id or 0, amount_minor=1500
            )
            with pytest.raises(ValueError):
                service.refund_charge(s, entry=charge, reason="not paid yet")
