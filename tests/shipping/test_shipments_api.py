"""The store pushes shipments: whole or partial, idempotent, never more than was ordered."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from ventanilla.apikeys import service as apikeys_service
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order

TABLES = ("shipments", "shipment_lines", "tracking_events", "activity")


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a refused request must leave exactly as it was."""
    with engine.connect() as conn:
        state: dict[str, Any] = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
        state["shipments_rows"] = [
            tuple(row) for row in conn.execute(text("SELECT * FROM shipments ORDER BY id")).all()
        ]
    return state


def order_with_quantities(session: Session, *quantities: int, **overrides: Any) -> Order:
    order = make_order(session, lines=len(quantities), **overrides)
    for line, quantity in zip(
        orders_repository.lines(session, order.id or 0), quantities, strict=True
    ):
        line.quantity = quantity
    session.commit()
    return order


def skus(session: Session, order: Order) -> list[str]:
    return [line.sku for line in orders_repository.lines(session, order.id or 0)]


def ship(store: TestClient, number: str, **body: Any) -> Any:
    payload = {"carrier": "SEUR", "tracking_number": "TRK-1", **body}
    return store.post(f"/api/v1/orders/{number}/shipments", json=payload)


class TestCreateShipment:
    def test_without_lines_the_whole_order_ships(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = order_with_quantities(session, 1, 2)
        response = ship(
            store,
            order.number,
            tracking_url="https://seur.example/t/TRK-1",
            shipped_at="2026-11-20T10:00:00+01:00",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        a, b = skus(session, order)
        assert body["order_number"] == order.number
        assert body["lines"] == [{"sku": a, "quantity": 1}, {"sku": b, "quantity": 2}]
        assert body["status"] is None and body["events"] == []
        assert body["shipped_at"] == "2026-11-20T09:00:00Z"
        assert body["tracking_url"] == "https://seur.example/t/TRK-1"
        with engine.connect() as conn:
            activity = conn.execute(
                text("SELECT kind, actor_type, actor_id, order_id FROM activity")
            ).all()
        assert [tuple(r) for r in activity] == [
            ("shipment.created", "store", "Tienda de prueba", order.id)
        ]

    def test_partial_shipments_never_exceed_what_was_ordered(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = order_with_quantities(session, 3, 1)
        a, b = skus(session, order)
        first = ship(store, order.number, lines=[{"sku": a, "quantity": 2}])
        assert first.status_code == 201, first.text
        assert first.json()["lines"] == [{"sku": a, "quantity": 2}]

        before = snapshot(engine)
        too_many = ship(
            store, order.number, tracking_number="TRK-2", lines=[{"sku": a, "quantity": 2}]
        )
        assert too_many.status_code == 422
        error = too_many.json()["detail"][0]
        assert error["loc"] == ["body", "lines", 0, "quantity"]
        assert "Only 1" in error["msg"]
        assert snapshot(engine) == before

        # Without lines, the second parcel takes what is left.
        rest = ship(store, order.number, tracking_number="TRK-2")
        assert rest.status_code == 201
        assert rest.json()["lines"] == [{"sku": a, "quantity": 1}, {"sku": b, "quantity": 1}]

        before = snapshot(engine)
        nothing_left = ship(store, order.number, tracking_number="TRK-3")
        assert nothing_left.status_code == 422
        assert nothing_left.json()["detail"][0]["loc"] == ["body", "lines"]
        assert snapshot(engine) == before

    def test_the_same_push_again_returns_the_stored_shipment_unchanged(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = order_with_quantities(session, 1)
        body = {"tracking_url": "https://t.example/1", "shipped_at": "2026-11-20T10:00:00Z"}
        first = ship(store, order.number, **body)
        before = snapshot(engine)
        again = ship(store, order.number, **body)
        also_without_details = ship(store, order.number)
        assert (first.status_code, again.status_code, also_without_details.status_code) == (
            201,
            200,
            200,
        )
        assert again.json() == first.json() == also_without_details.json()
        assert snapshot(engine) == before

    @pytest.mark.parametrize(
        "change",
        [
            {"tracking_url": "https://t.example/other"},
            {"shipped_at": "2026-11-21T10:00:00Z"},
            {"lines": [{"sku": "{a}", "quantity": 1}]},
        ],
    )
    def test_same_tracking_number_with_other_details_is_a_conflict(
        self, store: TestClient, session: Session, engine: Engine, change: dict[str, Any]
    ) -> None:
        order = order_with_quantities(session, 2)
        (sku,) = skus(session, order)
        if "lines" in change:
            change = {"lines": [{"sku": sku, "quantity": 1}]}
        ship(
            store,
            order.number,
            tracking_url="https://t.example/1",
            shipped_at="2026-11-20T10:00:00Z",
        )
        before = snapshot(engine)
        response = ship(store, order.number, **change)
        assert response.status_code == 409
        assert response.json()["code"] == "shipment_conflict"
        assert snapshot(engine) == before

    def test_a_cancelled_order_cannot_ship(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = order_with_quantities(session, 1, status="cancelled")
        before = snapshot(engine)
        response = ship(store, order.number)
        assert response.status_code == 409
        assert response.json()["code"] == "order_cancelled"
        assert "cancelled" in response.json()["detail"]
        assert snapshot(engine) == before

    def test_unknown_order_is_404(self, store: TestClient, engine: Engine) -> None:
        before = snapshot(engine)
        response = ship(store, "NOPE-1")
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"
        assert snapshot(engine) == before

    @pytest.mark.parametrize(
        ("lines", "loc"),
        [
            ([{"sku": "NOT-ON-ORDER", "quantity": 1}], ["body", "lines", 0, "sku"]),
            (
                [{"sku": "{a}", "quantity": 1}, {"sku": "{a}", "quantity": 1}],
                ["body", "lines", 1, "sku"],
            ),
            ([{"sku": "{a}", "quantity": 3}], ["body", "lines", 0, "quantity"]),
        ],
    )
    def test_lines_that_break_the_order_are_refused_with_their_field(
        self,
        store: TestClient,
        session: Session,
        engine: Engine,
        lines: list[dict[str, Any]],
        loc: list[Any],
    ) -> None:
        order = order_with_quantities(session, 2, 1)
        a, _ = skus(session, order)
        lines = [{**line, "sku": line["sku"].format(a=a)} for line in lines]
        before = snapshot(engine)
        response = ship(store, order.number, lines=lines)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert [e["loc"] for e in response.json()["detail"]] == [loc]
        assert snapshot(engine) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"surprise": 1}, "surprise"),
            ({"tracking_url": "javascript:alert(1)"}, "tracking_url"),
            ({"tracking_url": "ftp://files.example/x"}, "tracking_url"),
            ({"tracking_url": "https://"}, "tracking_url"),
            ({"shipped_at": "2026-11-20T10:00:00"}, "shipped_at"),
            ({"shipped_at": "9999-12-31T23:59:59-05:00"}, "shipped_at"),
            ({"lines": []}, "lines"),
            ({"lines": [{"sku": "X", "quantity": 0}]}, "quantity"),
            ({"lines": [{"sku": "X", "quantity": -1}]}, "quantity"),
            ({"lines": [{"sku": "X", "quantity": 1, "price": 3}]}, "price"),
            ({"carrier": "  "}, "carrier"),
            ({"carrier": "SE\x00UR"}, "carrier"),
            ({"tracking_number": "x" * 101}, "tracking_number"),
        ],
    )
    def test_malformed_requests_get_field_errors_and_change_nothing(
        self,
        store: TestClient,
        session: Session,
        engine: Engine,
        body: dict[str, Any],
        field: str,
    ) -> None:
        order = order_with_quantities(session, 1)
        before = snapshot(engine)
        response = ship(store, order.number, **body)
        assert response.status_code == 422, response.text
        assert any(field in e["loc"] for e in response.json()["detail"])
        assert snapshot(engine) == before


class TestListShipments:
    def test_lists_every_shipment_with_lines_and_events(
        self, store: TestClient, session: Session
    ) -> None:
        order = order_with_quantities(session, 2)
        (sku,) = skus(session, order)
        one = ship(store, order.number, lines=[{"sku": sku, "quantity": 1}]).json()
        ship(store, order.number, tracking_number="TRK-2")
        store.post(
            f"/api/v1/shipments/{one['id']}/events",
            json={"events": [{"occurred_at": "2026-11-20T10:00:00Z", "status": "in_transit"}]},
        )
        response = store.get(f"/api/v1/orders/{order.number}/shipments")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [s["tracking_number"] for s in body["data"]] == ["TRK-1", "TRK-2"]
        assert body["data"][0]["status"] == "in_transit"
        assert [e["status"] for e in body["data"][0]["events"]] == ["in_transit"]
        assert store.get(f"/api/v1/shipments/{one['id']}").json() == body["data"][0]

    def test_unknown_order_and_shipment_are_404(self, store: TestClient) -> None:
        assert store.get("/api/v1/orders/NOPE/shipments").status_code == 404
        assert store.get("/api/v1/shipments/999999").json()["code"] == "shipment_not_found"


class TestShipmentsAccess:
    def test_a_key_without_the_scope_gets_403(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order = order_with_quantities(session, 1)
        key = apikeys_service.create_key(session, name="Solo pedidos", scopes=["orders:write"])
        session.commit()
        client.headers["Authorization"] = f"Bearer {key.key}"
        before = snapshot(engine)
        responses = [
            ship(client, order.number),
            client.get(f"/api/v1/orders/{order.number}/shipments"),
            client.post("/api/v1/shipments/1/events", json={"events": []}),
        ]
        assert [r.status_code for r in responses] == [403, 403, 403]
        assert responses[0].json()["code"] == "missing_scope"
        assert snapshot(engine) == before

    @pytest.mark.parametrize("header", [None, "Bearer vk_not-a-key", "Basic dXNlcjpwYXNz"])
    def test_a_bad_key_gets_401(
        self, client: TestClient, session: Session, engine: Engine, header: str | None
    ) -> None:
        order = order_with_quantities(session, 1)
        headers = {"Authorization": header} if header else {}
        before = snapshot(engine)
        responses = [
            client.post(
                f"/api/v1/orders/{order.number}/shipments",
                json={"carrier": "SEUR", "tracking_number": "1"},
                headers=headers,
            ),
            client.get(f"/api/v1/orders/{order.number}/shipments", headers=headers),
            client.post(
                "/api/v1/shipments/1/events",
                json={"events": [{"occurred_at": "2026-11-20T10:00:00Z", "status": "delivered"}]},
                headers=headers,
            ),
        ]
        assert [r.status_code for r in responses] == [401, 401, 401]
        assert snapshot(engine) == before
