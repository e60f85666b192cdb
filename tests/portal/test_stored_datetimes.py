"""Datetimes already in the database that the store API refuses today (year 1, year 9999,
naive text in SQLite) still render on every shopper page: written with raw SQL, as an older
version or another tool could have stored them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from tests.access.helpers import login
from tests.access.test_access_control import concrete, shopper_routes
from tests.factories import make_customer, make_order
from tests.portal.test_pages import T0, add_activity, shipped_order
from ventanilla.config import ShopPolicy
from ventanilla.core import clock
from ventanilla.orders import policy
from ventanilla.orders.models import Order

EXTREMES = {
    "year 1": "0001-01-01 00:00:00",
    "year 9999": "9999-12-31 23:59:59.999999",
}
COLUMNS = [
    ("orders", "placed_at", "id = :order"),
    ("orders", "status_at", "id = :order"),
    ("orders", "packing_claimed_at", "id = :order"),
    ("activity", "occurred_at", "order_id = :order"),
    ("shipments", "shipped_at", "order_id = :order"),
    (
        "tracking_events",
        "occurred_at",
        "shipment_id IN (SELECT id FROM shipments WHERE order_id = :order)",
    ),
]


def store_raw(session: Session, order: Order, value: str, *, backend: str) -> None:
    literal = value if backend == "sqlite" else value + "+00"
    for table, column, where in COLUMNS:
        session.execute(
            text(f"UPDATE {table} SET {column} = :value WHERE {where}"),
            {"value": literal, "order": order.id},
        )
    session.execute(
        text("UPDATE invoices SET issue_date = :day WHERE order_id = :order"),
        {"day": value[:10], "order": order.id},
    )
    session.commit()


def shopper_pages(app: FastAPI, number: str) -> list[str]:
    """Every GET page of the shopper for this order, and the list (found from the routes)."""
    paths = {"/orders"}
    for info in shopper_routes(app):
        if "GET" in info.methods and not info.path.startswith(("/api", "/media")):
            paths.add(concrete(info.path, number))
    return sorted(paths)


@pytest.mark.parametrize("value", list(EXTREMES.values()), ids=list(EXTREMES))
def test_every_shopper_page_renders_an_out_of_range_stored_datetime(
    app: FastAPI, client: TestClient, session: Session, backend: str, value: str
) -> None:
    customer = make_customer(session, name="Lucía García")
    order = shipped_order(session, customer)
    add_activity(session, order, "order.status_changed", T0, to="processing")
    session.commit()
    packing = make_order(session, customer=customer, status="packing", placed_at=T0)
    session.commit()
    store_raw(session, order, value, backend=backend)
    store_raw(session, packing, value, backend=backend)
    login(client, customer.id or 0)

    pages = shopper_pages(app, order.number)
    assert f"/orders/{order.number}" in pages and "/orders" in pages
    with clock.frozen(datetime.fromisoformat("2026-03-10T10:00:00+00:00")):
        answers = {path: client.get(path, follow_redirects=False) for path in pages}
        answers["packing"] = client.get(f"/orders/{packing.number}")
        api = client.get(f"/api/v1/me/orders/{order.number}")
    failed = {path: r.status_code for path, r in answers.items() if r.status_code >= 500}
    assert not failed, failed
    assert answers[f"/orders/{order.number}"].status_code == 200
    assert answers["/orders"].status_code == 200
    assert answers["packing"].status_code == 200
    assert order.number in answers["/orders"].text
    assert api.status_code < 500


def test_a_naive_iso_text_in_sqlite_renders(
    client: TestClient, session: Session, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz: a naive value cannot be there")
    customer = make_customer(session, name="Lucía García")
    order = shipped_order(session, customer)
    session.commit()
    session.execute(
        text("UPDATE orders SET placed_at = '2026-03-02T09:00:00' WHERE id = :order"),
        {"order": order.id},
    )
    session.commit()
    login(client, customer.id or 0)
    assert client.get(f"/orders/{order.number}").status_code == 200
    assert client.get("/orders").status_code == 200


@pytest.mark.parametrize("year", [1, 9999])
def test_the_edit_policy_decides_for_an_out_of_range_stored_time(year: int) -> None:
    extreme = datetime(year, 12 if year > 1 else 1, 31 if year > 1 else 1, tzinfo=UTC)
    now = datetime(2026, 3, 10, tzinfo=UTC)
    window = ShopPolicy(edit_window_hours=2)
    paid = Order(number="ES-1", status="paid", placed_at=extreme, status_at=extreme)
    packing = Order(
        number="ES-2",
        status="packing",
        placed_at=extreme,
        status_at=extreme,
        packing_claimed_at=extreme,
    )
    assert policy.can_edit(paid, now, policy=window).ok is (year == 9999)
    assert policy.can_edit(packing, now, policy=window).reason_code == "packing_started"
