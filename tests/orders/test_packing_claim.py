"""POST /api/v1/orders/{number}/packing: the warehouse's claim, under a row lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import make_order, make_product, order_payload
from tests.orders.support import snapshot
from ventanilla.activity.models import Activity
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order
from ventanilla.orders.schemas import OrderCreate

WAREHOUSE = Actor.store("Almacén")


def claim(store: TestClient, number: str) -> Any:
    return store.post(f"/api/v1/orders/{number}/packing")


def reload(engine: Engine, number: str) -> Order:
    with Session(engine) as s:
        return s.exec(select(Order).where(Order.number == number)).one()


class TestPackingClaim:
    @pytest.mark.parametrize("status", ["paid", "processing"])
    def test_a_paid_order_moves_to_packing_and_returns_the_final_order(
        self, store: TestClient, session: Session, engine: Engine, status: str
    ) -> None:
        order = make_order(session, status=status, lines=3)
        session.commit()
        response = claim(store, order.number)
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["version"]) == ("packing", 2)
        assert body["packing_claimed_at"] is not None
        assert len(body["lines"]) == 3
        assert body["shipping_address"]["postcode"] == "28013"
        stored = reload(engine, order.number)
        assert (stored.status, stored.version) == ("packing", 2)
        assert stored.packing_claimed_at is not None
        assert stored.status_at == stored.packing_claimed_at
        with Session(engine) as s:
            [entry] = s.exec(select(Activity)).all()
        assert entry.kind == "order.status_changed"
        assert (entry.data["from"], entry.data["to"], entry.data["via"]) == (
            status,
            "packing",
            "packing_claim",
        )

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            ("placed", "order_not_paid"),
            ("packing", "already_claimed"),
            ("packed", "already_claimed"),
            ("shipped", "already_claimed"),
            ("delivered", "already_claimed"),
            ("cancelled", "order_cancelled"),
        ],
    )
    def test_an_order_that_cannot_be_claimed_gets_409_and_changes_nothing(
        self, store: TestClient, session: Session, engine: Engine, status: str, code: str
    ) -> None:
        order = make_order(session, status=status)
        session.commit()
        before = snapshot(engine)
        response = claim(store, order.number)
        assert response.status_code == 409
        assert response.json()["code"] == code
        assert snapshot(engine) == before

    def test_an_unpaid_order_is_refused_as_not_paid_yet(
        self, store: TestClient, session: Session
    ) -> None:
        order = make_order(session, status="placed")
        session.commit()
        assert "not paid yet" in claim(store, order.number).json()["detail"]

    def test_a_second_claim_gets_409_already_claimed(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = make_order(session, status="paid")
        session.commit()
        assert claim(store, order.number).status_code == 200
        second = claim(store, order.number)
        assert (second.status_code, second.json()["code"]) == (409, "already_claimed")
        assert reload(engine, order.number).version == 2

    def test_an_unknown_order_gets_404(self, store: TestClient) -> None:
        response = claim(store, "NOPE-1")
        assert (response.status_code, response.json()["code"]) == (404, "order_not_found")

    def test_the_statement_count_does_not_grow_with_the_lines(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        small = make_order(session, status="paid", lines=1)
        large = make_order(session, status="paid", lines=25)
        session.commit()
        counts = []
        for order in (small, large):
            statements: list[str] = []

            def count(*args: Any, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", count)
            try:
                assert claim(store, order.number).status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", count)
            counts.append(len(statements))
        assert counts[0] == counts[1]


class TestOrderApiDocs:
    def test_refusals_are_documented_in_openapi(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        error = "#/components/schemas/ErrorResponse"
        for path in ("/api/v1/orders/{number}/status", "/api/v1/orders/{number}/packing"):
            responses = paths[path]["post"]["responses"]
            for status in ("404", "409"):
                assert responses[status]["content"]["application/json"]["schema"]["$ref"] == error
        put = paths["/api/v1/orders/{number}"]["put"]
        assert {"200", "201", "409", "422"} <= set(put["responses"])

    def test_request_bodies_carry_examples(self, client: TestClient) -> None:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        for name in ("OrderCreate", "OrderStatusUpdate", "ProductCreate", "StockUpdate"):
            assert schemas[name]["examples"], name


# --- real concurrency: PostgreSQL only ---------------------------------------------------------


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers, so only PostgreSQL can race the claim for real")


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


def wait_until_blocked(engine: Engine, waiting: int = 1) -> None:
    """Return once `waiting` sessions of this database wait on a lock (a bounded poll)."""
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            blocked = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if blocked >= waiting:
                return
            # pg_stat_activity is a snapshot per transaction: end it to see fresh values.
            conn.rollback()
            time.sleep(0.01)
    raise AssertionError("the second transaction never waited for the row lock")


def claim_in_own_session(number: str) -> Any:
    try:
        with session_scope() as s:
            view = orders_service.claim_for_packing(s, actor=WAREHOUSE, number=number)
            return [(line.sku, line.quantity) for line in view.lines]
    except AppError as exc:
        return exc


def push_in_own_session(number: str, body: dict[str, Any]) -> Any:
    try:
        with session_scope() as s:
            data = OrderCreate.model_validate(body)
            return orders_service.put_order(s, actor=WAREHOUSE, number=number, data=data).result
    except AppError as exc:
        return exc


@pytest.fixture
def pushed_order(settings: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """A paid order pushed through the service, plus a changed version of its body."""
    with session_scope() as s:
        make_product(s, sku="TREN-01", price_minor=2495)
        make_product(s, sku="PEONZA", price_minor=500)
    body = order_payload([("TREN-01", 2495, 1), ("PEONZA", 500, 1)])
    assert push_in_own_session("ES-1001", body) == "created"
    changed = order_payload([("TREN-01", 2495, 4), ("PEONZA", 500, 1)])
    yield "ES-1001", changed


@pytest.mark.postgres_only
@pytest.mark.usefixtures("postgres_only")
class TestPackingClaimRace:
    def test_twenty_concurrent_claims_have_exactly_one_winner(
        self, app: FastAPI, api_key: str, session: Session, engine: Engine
    ) -> None:
        order = make_order(session, status="paid", lines=2)
        session.commit()
        headers = {"Authorization": f"Bearer {api_key}"}

        def one_claim() -> tuple[int, str | None]:
            # Each thread its own client, connection and transaction, like 20 warehouse workers.
            client = TestClient(app, base_url="http://testserver")
            response = client.post(f"/api/v1/orders/{order.number}/packing", headers=headers)
            return response.status_code, response.json().get("code")

        results = run_together(*[one_claim] * 20)
        assert sorted(results, key=str) == sorted(
            [(200, None)] + [(409, "already_claimed")] * 19, key=str
        )
        stored = reload(engine, order.number)
        assert (stored.status, stored.version) == ("packing", 2)
        with Session(engine) as s:
            kinds = s.exec(select(Activity.kind)).all()
        assert kinds == ["order.status_changed"]

    def test_a_push_holding_the_lock_lands_before_the_claim_and_is_packed(
        self, engine: Engine, pushed_order: tuple[str, dict[str, Any]]
    ) -> None:
        number, changed = pushed_order
        result: list[Any] = []
        with session_scope() as s:
            write = orders_service.put_order(
                s, actor=WAREHOUSE, number=number, data=OrderCreate.model_validate(changed)
            )
            assert write.result == "updated"
            claimer = threading.Thread(target=lambda: result.append(claim_in_own_session(number)))
            claimer.start()
            wait_until_blocked(engine)
        claimer.join()
        assert result == [[("TREN-01", 4), ("PEONZA", 1)]]

    def test_a_push_waiting_on_the_claim_gets_409_order_locked(
        self, engine: Engine, pushed_order: tuple[str, dict[str, Any]]
    ) -> None:
        number, changed = pushed_order
        result: list[Any] = []
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=WAREHOUSE, number=number)
            pusher = threading.Thread(
                target=lambda: result.append(push_in_own_session(number, changed))
            )
            pusher.start()
            wait_until_blocked(engine)
        pusher.join()
        [outcome] = result
        assert isinstance(outcome, AppError) and outcome.code == "order_locked"
        assert reload(engine, number).version == 2

    @pytest.mark.parametrize("round_", range(5))
    def test_a_push_racing_the_claim_is_either_packed_or_refused(
        self, engine: Engine, pushed_order: tuple[str, dict[str, Any]], round_: int
    ) -> None:
        number, changed = pushed_order
        pushed, claimed = run_together(
            lambda: push_in_own_session(number, changed), lambda: claim_in_own_session(number)
        )
        assert isinstance(claimed, list), claimed
        if pushed == "updated":
            assert claimed == [("TREN-01", 4), ("PEONZA", 1)]
            assert reload(engine, number).version == 3
        else:
            assert isinstance(pushed, AppError) and pushed.code == "order_locked"
            assert claimed == [("TREN-01", 1), ("PEONZA", 1)]
            assert reload(engine, number).version == 2
