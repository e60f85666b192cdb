"""The worker's `payments.refunds` task: refunds not made right after their commit are made by
the worker's next pass."""

from __future__ import annotations

from sqlmodel import Session

from tests.payments.helpers import entry, make_change, paid_order
from tests.payments.test_refunds import request
from tests.stripe_server import LocalStripe
from ventanilla import worker
from ventanilla.config import Settings


class TestWorker:
    def test_the_outbox_worker_retries_refunds_too(
        self, session: Session, stripe_settings: Settings, localstripe: LocalStripe
    ) -> None:
        order = paid_order(session, localstripe, 5000)
        change = make_change(session, order, new_total_minor=3000)
        row = request(order.number, change.id, 2000)
        worker.run_pass()
        assert entry(row.id or 0).status == "succeeded"
        assert len(localstripe.refunds(str(order.payment_reference))) == 1
