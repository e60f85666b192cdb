"""The worker's `changes.expire_abandoned` task gives back the stock of amendments nobody
confirmed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from tests.changes.support import actor_for, changes_of, customer_of, shop, stock_of
from ventanilla import worker
from ventanilla.changes import service
from ventanilla.changes.amounts import AddProduct
from ventanilla.core import clock, tasks
from ventanilla.db import session_scope


class TestAbandonedAmendments:
    def test_an_unconfirmed_change_older_than_30_minutes_is_withdrawn_and_its_stock_returns(
        self, session: Session
    ) -> None:
        order, _products, _extras = shop(session, extra_products=(("ULTIMO", 1000, 1),))
        customer = customer_of(order)
        start = clock.now()
        with clock.frozen(start):
            with session_scope() as s:
                service.request_amendment(
                    s,
                    actor=actor_for(customer),
                    customer=customer,
                    number=order.number,
                    version=order.version,
                    actions=[AddProduct(sku="ULTIMO", quantity=1)],
                )
            assert stock_of("ULTIMO") == 0
            tasks.forget_runs()
            worker.run_pass()
            assert [c.status for c in changes_of(order)] == ["requested"]  # still fresh

        with clock.frozen(start + timedelta(minutes=31)):
            tasks.forget_runs()
            worker.run_pass()
        [change] = changes_of(order)
        assert (change.status, change.decline_code) == ("canceled", "expired")
        assert stock_of("ULTIMO") == 1
