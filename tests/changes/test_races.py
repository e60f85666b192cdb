"""Real concurrency on PostgreSQL: the last unit, many confirm clicks, the packing claim."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from tests.changes.support import (
    actor_for,
    changes_of,
    customer_of,
    reload_order,
    shop,
    stock_of,
)
from tests.factories import make_product
from ventanilla.changes import service
from ventanilla.changes.amounts import AddProduct, SetQuantity
from ventanilla.changes.exceptions import AmendmentInvalid
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.exceptions import ChangeNotAllowed, OrderChanged
from ventanilla.orders.models import Order

WAREHOUSE = Actor.store("Almacén")


def run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Start every job at the same moment, each in its own thread; results in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def runner(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def request(order: Order, actions: list[Any], version: int | None = None) -> int:
    customer = customer_of(order)
    with session_scope() as s:
        change = service.request_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version if version is None else version,
            actions=actions,
        )
        assert change.id is not None
        return change.id


def confirm(order: Order, change_id: int, version: int) -> str:
    customer = customer_of(order)
    with session_scope() as s:
        return service.confirm_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            change_id=change_id,
            version=version,
        ).outcome


def claim(number: str) -> tuple[int, list[tuple[str, int]]]:
    with session_scope() as s:
        view = orders_service.claim_for_packing(s, actor=WAREHOUSE, number=number)
        return view.order.version, [(line.sku, line.quantity) for line in view.lines]


class TestRaces:
    def test_two_customers_cannot_both_take_the_last_unit(
        self, postgres_only: None, session: Session
    ) -> None:
        make_product(session, sku="ULTIMO", name="El último", price_minor=900, stock_on_hand=1)
        session.commit()
        first, _p1, _e1 = shop(session, extra_products=())
        second, _p2, _e2 = shop(session, extra_products=())
        results = run_together(
            lambda: request(first, [AddProduct("ULTIMO", 1)]),
            lambda: request(second, [AddProduct("ULTIMO", 1)]),
        )
        winners = [r for r in results if isinstance(r, int)]
        losers = [r for r in results if isinstance(r, AmendmentInvalid)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].errors[0]["type"] == "out_of_stock"
        assert stock_of("ULTIMO") == 0
        # The loser left nothing behind: no change, no reservation.
        assert len(changes_of(first)) + len(changes_of(second)) == 1

    def test_fifty_concurrent_confirms_apply_once(
        self, postgres_only: None, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=10)
        change_id = request(order, [SetQuantity(1, 2), AddProduct("NUEVO", 1)])
        results = run_together(*[lambda: confirm(order, change_id, 1) for _ in range(50)])
        assert sorted(results) == ["confirmed"] + ["unchanged"] * 49, results
        stored, lines = reload_order(order.number)
        assert stored.version == 2
        assert [(ln.line_no, ln.quantity) for ln in lines] == [(1, 2), (2, 1), (3, 1)]
        assert (stock_of(products[0].sku), stock_of("NUEVO")) == (9, 4)

    def test_confirms_racing_packing_claims_are_in_the_claim_or_refused(
        self, postgres_only: None, session: Session
    ) -> None:
        orders = [shop(session, stock=50, extra_products=())[0] for _ in range(10)]
        changes = [request(order, [SetQuantity(1, 3)]) for order in orders]
        jobs: list[Callable[[], Any]] = []
        for order, change_id in zip(orders, changes, strict=True):
            jobs.append(lambda o=order, c=change_id: confirm(o, c, 1))
            jobs.append(lambda o=order: claim(o.number))
        results = run_together(*jobs)
        for index, order in enumerate(orders):
            outcome, claimed = results[2 * index], results[2 * index + 1]
            assert isinstance(claimed, tuple), claimed
            claim_version, claim_lines = claimed
            stored, lines = reload_order(order.number)
            # Nothing is committed after the claim: what it returned is the order now.
            assert stored.version == claim_version
            assert [(ln.sku, ln.quantity) for ln in lines] == claim_lines
            [change] = changes_of(order)
            if outcome == "confirmed":
                assert claim_lines[0][1] == 3 and claim_version == 3
                assert change.decided_at is not None
                assert change.decided_at <= (stored.packing_claimed_at or change.decided_at)
            else:
                assert outcome == "declined", outcome
                assert (change.status, change.decline_code) == ("declined", "packing_started")
                assert claim_lines[0][1] == 1 and claim_version == 2

    def test_a_stream_of_amendments_racing_one_claim(
        self, postgres_only: None, session: Session
    ) -> None:
        order, _products, _extras = shop(session, stock=500, extra_products=())
        confirmed: list[int] = []
        stop: list[object] = []  # why the stream ended: the refusal, or a declined confirm

        def amend() -> None:
            version = 1
            for i in range(200):
                try:
                    change_id = request(order, [SetQuantity(1, 2 + i % 5)], version=version)
                    outcome = confirm(order, change_id, version)
                    if outcome != "confirmed":
                        stop.append(outcome)
                        return
                except (ChangeNotAllowed, OrderChanged) as exc:
                    stop.append(exc)
                    return
                version += 1
                confirmed.append(2 + i % 5)

        def claim_later() -> tuple[int, list[tuple[str, int]]]:
            deadline = time.monotonic() + 30
            while len(confirmed) < 3 and time.monotonic() < deadline:
                time.sleep(0.005)
            return claim(order.number)

        results = run_together(amend, claim_later)
        claim_version, claim_lines = results[1]
        assert stop and (isinstance(stop[0], ChangeNotAllowed) or stop[0] == "declined"), stop
        stored, lines = reload_order(order.number)
        assert stored.version == claim_version == len(confirmed) + 2
        # The last amendment committed before the claim is what the warehouse packs.
        assert claim_lines[0][1] == confirmed[-1]
        assert [(ln.sku, ln.quantity) for ln in lines] == claim_lines
