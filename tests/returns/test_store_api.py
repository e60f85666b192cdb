"""The shop runs a return through the API: list, read, received (refund in localstripe,
exactly once), decline; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.returns.support import actor_for, customer_of, delivered_order, madrid, outbox
from tests.stripe_server import LocalStripe
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.payments.models import PaymentEntry
from ventanilla.payments.refunds import execute_refunds
from ventanilla.returns import service, store

SHOP = Actor.store("Tienda")
NOW = madrid(2026, 3, 9).astimezone(UTC)


def paid_order(session: Session, localstripe: LocalStripe | None, **kw: Any) -> Order:
    kw.setdefault("prices", (3000, 2000))
    total = sum(kw["prices"]) + kw.get("shipping_minor", 0) - kw.get("discount_minor", 0)
    reference = localstripe.paid_intent(total) if localstripe else None
    return delivered_order(
        session, delivered=[madrid(2026, 3, 7)], payment_reference=reference, **kw
    )


def withdraw(order: Order, selection: dict[int, int]) -> str:
    with clock.frozen(NOW):
        return withdraw_now(order, selection)


def withdraw_now(order: Order, selection: dict[int, int]) -> str:
    """Without freezing the clock: threads must not freeze and restore it concurrently (each
    would restore what it saw, and one could leave it frozen for every later test)."""
    customer = customer_of(order)
    with session_scope() as s:
        return service.withdraw(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            selection=selection,
            name="Lucía",
            email="lucia@example.com",
        ).case.rma


def ledger(order: Order) -> list[PaymentEntry]:
    with session_scope(write=False) as s:
        return list(s.exec(select(PaymentEntry).where(PaymentEntry.order_id == order.id)))


def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


class TestReceivedRefunds:
    def test_received_refunds_what_was_shown_once_in_localstripe(
        self,
        session: Session,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        api_key: str,
    ) -> None:
        with session_scope() as s:
            outbox_service.create_endpoint(s, actor=SHOP, url="http://127.0.0.1:9/h", events=[])
        order = paid_order(session, localstripe, discount_minor=1000)
        rma = withdraw(order, {2: 1})  # 20.00 less its 4.00 share of the discount
        url = f"/api/v1/returns/{rma}/received"
        first = stripe_client.post(url, json={}, headers=auth(api_key))
        assert first.status_code == 200, first.text
        assert (first.json()["status"], first.json()["settlement"]) == ("received", "ledger")
        again = stripe_client.post(url, json={}, headers=auth(api_key))
        assert again.status_code == 200 and again.json()["status"] == "received"
        [refund] = localstripe.refunds(str(order.payment_reference))
        assert refund.amount == 1600
        [entry] = ledger(order)
        assert (entry.status, entry.amount_minor) == ("succeeded", 1600)

        assert store.record_refund_outcomes() == 1
        read = stripe_client.get(f"/api/v1/returns/{rma}", headers=auth(api_key)).json()
        assert read["status"] == "refunded" and read["refunded_at"]
        assert read["decision"]["lines"][0]["refund_minor"] == 1600
        types = [m.payload["type"] for m in outbox("webhook")]
        assert types.count("return.received") == 1 and types.count("return.refunded") == 1

    def test_an_inspection_adjustment_needs_a_reason_and_lowers_the_refund(
        self,
        session: Session,
        localstripe: LocalStripe,
        stripe_client: TestClient,
        api_key: str,
    ) -> None:
        order = paid_order(session, localstripe)
        rma = withdraw(order, {1: 1})
        url = f"/api/v1/returns/{rma}/received"
        bad = stripe_client.post(url, json={"adjustment_minor": -500}, headers=auth(api_key))
        assert bad.status_code == 422 and bad.json()["code"] == "return_invalid"
        too_much = stripe_client.post(
            url, json={"adjustment_minor": -3001, "adjustment_reason": "x"}, headers=auth(api_key)
        )
        assert too_much.status_code == 422
        assert ledger(order) == []
        ok = stripe_client.post(
            url,
            json={"adjustment_minor": -500, "adjustment_reason": "Scratched box"},
            headers=auth(api_key),
        )
        assert ok.status_code == 200 and ok.json()["adjustment_minor"] == -500
        [refund] = localstripe.refunds(str(order.payment_reference))
        assert refund.amount == 2500


class TestReadAndDecline:
    def test_list_filters_and_reads_one(self, session: Session, store: TestClient) -> None:
        first = withdraw(paid_order(session, None), {1: 1})
        second = withdraw(paid_order(session, None), {2: 1})
        listed = store.get("/api/v1/returns").json()
        assert [r["rma"] for r in listed["data"]] == [first, second]
        declined = store.post(f"/api/v1/returns/{first}/decline", json={"reason": "Not sent"})
        assert declined.status_code == 200 and declined.json()["status"] == "declined"
        only = store.get("/api/v1/returns", params={"status": "declined"}).json()
        assert [r["rma"] for r in only["data"]] == [first]
        since = store.get("/api/v1/returns", params={"updated_since": "2020-01-01T00:00:00Z"})
        assert since.json()["count"] == 2
        assert store.get("/api/v1/returns", params={"updated_since": "0.5"}).status_code == 422
        assert store.get("/api/v1/returns/R-NOTHERE").status_code == 404
        assert store.get("/api/v1/returns/../x").status_code == 404

    def test_received_without_stripe_is_left_to_the_shop_and_cannot_be_declined(
        self, session: Session, store: TestClient
    ) -> None:
        rma = withdraw(paid_order(session, None), {1: 1})
        received = store.post(f"/api/v1/returns/{rma}/received", json={})
        assert received.json()["settlement"] == "shop_to_settle"
        late = store.post(f"/api/v1/returns/{rma}/decline", json={"reason": "x"})
        assert late.status_code == 409 and late.json()["code"] == "return_already_received"
        declined_then_received = withdraw(paid_order(session, None), {1: 1})
        store.post(f"/api/v1/returns/{declined_then_received}/decline", json={"reason": "x"})
        refused = store.post(f"/api/v1/returns/{declined_then_received}/received", json={})
        assert refused.status_code == 409 and refused.json()["code"] == "return_declined"

    def test_bad_input_is_a_clear_422(self, session: Session, store: TestClient) -> None:
        rma = withdraw(paid_order(session, None), {1: 1})
        for body in ({"adjustment_minor": "5"}, {"adjustment_minor": 5}, {"other": 1}):
            response = store.post(f"/api/v1/returns/{rma}/received", json=body)
            assert response.status_code == 422, body
        assert store.post(f"/api/v1/returns/{rma}/decline", json={"reason": ""}).status_code == 422

    def test_the_api_needs_a_key(self, client: TestClient) -> None:
        assert client.get("/api/v1/returns").status_code == 401


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def runner(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc

    threads = [threading.Thread(target=runner, args=(i, j)) for i, j in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_concurrent_received_give_one_refund(
    session: Session, localstripe: LocalStripe, stripe_settings: Any, postgres_only: None
) -> None:
    order = paid_order(session, localstripe)
    rma = withdraw(order, {1: 1, 2: 1})

    def received() -> str:
        with session_scope() as s:
            return store.mark_received(s, actor=SHOP, rma=rma).case.status

    results = run_together([received] * 50)
    assert results == ["received"] * 50
    [entry] = ledger(order)
    assert entry.amount_minor == 5000
    execute_refunds()  # the worker's task (or the request's after-commit) makes it
    execute_refunds()
    assert len(localstripe.refunds(str(order.payment_reference))) == 1


def test_the_shop_is_warned_once_four_days_before_a_withdrawals_refund_deadline(
    session: Session,
) -> None:
    order = paid_order(session, None)
    rma = withdraw(order, {1: 1})  # at NOW: refund due 14 days later
    with clock.frozen(NOW):
        assert store.warn_refund_deadlines(NOW + timedelta(days=9)) == 0
        assert store.warn_refund_deadlines(NOW + timedelta(days=10, minutes=1)) == 1
        assert store.warn_refund_deadlines(NOW + timedelta(days=11)) == 0
    [alarm] = [m for m in outbox("email") if rma in m.payload["subject"]]
    assert alarm.payload["to"] == "tienda@example.com"
    assert f"/api/v1/returns/{rma}/received" in alarm.payload["text"]


def test_ten_concurrent_withdrawals_give_one_case(session: Session, postgres_only: None) -> None:
    order = paid_order(session, None)
    with clock.frozen(NOW):
        results = run_together([lambda: withdraw_now(order, {1: 1})] * 10)
    assert len(set(results)) == 1 and all(isinstance(r, str) for r in results)
    with session_scope(write=False) as s:
        from ventanilla.returns.models import ReturnCase

        rows = list(s.exec(select(ReturnCase).where(ReturnCase.order_id == order.id)))
    assert len(rows) == 1
