"""PostgreSQL: many shoppers changing the address while the warehouse claims the order.

Every change committed before the claim is in what the claim returns, nothing commits after
it, losers get a clear 409, and nothing deadlocks (a deadlock would surface as a 500).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from tests.addresses.helpers import NEW_ADDRESS, order_state, start_session
from tests.factories import make_customer, make_order
from ventanilla.access import policy
from ventanilla.activity.models import Activity
from ventanilla.config import get_settings
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service

SHOPPERS = 10
MAX_TRIES = 30


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers, so only PostgreSQL can race the claim for real")


def shopper_client(app: FastAPI, customer_id: int) -> TestClient:
    """A browser tab of its own: its own client, session cookie and database connection."""
    client = TestClient(app, base_url="http://testserver", headers={"Origin": "http://testserver"})
    token = start_session(customer_id, verified=True)
    client.cookies.set(policy.session_cookie_name(get_settings().secure_cookies), token)
    return client


@pytest.mark.postgres_only
@pytest.mark.usefixtures("postgres_only")
class TestAddressChangesRaceThePackingClaim:
    @pytest.mark.parametrize("round_", range(3))
    def test_changes_before_the_claim_are_packed_and_none_land_after(
        self, app: FastAPI, session: Session, round_: int
    ) -> None:
        customer = make_customer(session)
        order = make_order(session, customer=customer, status="paid")
        session.commit()
        number = order.number
        url = f"/api/v1/me/orders/{number}/address"
        clients = [shopper_client(app, customer.id or 0) for _ in range(SHOPPERS)]
        barrier = threading.Barrier(SHOPPERS + 1)
        first_change = threading.Event()
        outcomes: list[list[tuple[int, Any]]] = [[] for _ in range(SHOPPERS)]
        saved: list[tuple[int, str]] = []  # (version after the change, line1)
        claimed: list[Any] = []

        def shopper(index: int) -> None:
            client = clients[index]
            line1 = f"Calle del Hilo {index}"
            barrier.wait()
            for _ in range(MAX_TRIES):
                version = client.get(url).json()["version"]
                body = {"version": version, "address": {**NEW_ADDRESS, "line1": line1}}
                response = client.put(url, json=body)
                code = response.json().get("code")
                outcomes[index].append((response.status_code, code))
                if response.status_code == 200:
                    saved.append((response.json()["version"], line1))
                    first_change.set()
                    return
                if code != "order_changed":
                    return  # refused for good (the claim won)

        def warehouse() -> None:
            barrier.wait()
            # Let at least one change in first, so the test proves it gets packed.
            first_change.wait(timeout=30)
            try:
                with session_scope() as s:
                    view = orders_service.claim_for_packing(
                        s, actor=Actor.store("Almacén"), number=number
                    )
                    shipping = view.addresses["shipping"]
                    claimed.append((view.order.version, shipping.line1))
            except AppError as exc:  # pragma: no cover - the claim must win
                claimed.append(exc)

        threads = [threading.Thread(target=shopper, args=(i,)) for i in range(SHOPPERS)]
        threads.append(threading.Thread(target=warehouse))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        [(claim_version, packed_line1)] = claimed
        every = [o for tries in outcomes for o in tries]
        # No 500s (a deadlock would be one), and every "no" is a clear 409.
        assert {status for status, _ in every} <= {200, 409}, every
        assert {code for status, code in every if status == 409} <= {
            "order_changed",
            "packing_started",
        }
        # Each shopper ends saved or told the order is being packed.
        for tries in outcomes:
            assert tries[-1][0] == 200 or tries[-1] == (409, "packing_started"), tries
        # The versions tell the story: one per saved change, then the claim.
        versions = sorted(v for v, _ in saved)
        assert versions == list(range(2, 2 + len(saved)))
        assert claim_version == len(saved) + 2
        # The warehouse packs the last change committed before its claim...
        assert saved and packed_line1 == max(saved)[1]
        stored, shipping = order_state(number)
        assert (stored.status, stored.version) == ("packing", claim_version)
        assert shipping is not None and shipping.line1 == packed_line1
        # ...and no change was written after it.
        with session_scope(write=False) as s:
            kinds = s.exec(
                select(Activity.kind)
                .where(Activity.order_id == order.id)
                .where(col(Activity.kind).in_(["order.address_changed", "order.status_changed"]))
                .order_by(col(Activity.id))
            ).all()
        assert kinds == ["order.address_changed"] * len(saved) + ["order.status_changed"]
