"""PUT /api/v1/orders/{number}: the whole order, idempotent, validated, frozen once packing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.factories import make_product, order_payload
from tests.orders.support import bearer, key_with_scopes, snapshot
from ventanilla.activity.models import Activity
from ventanilla.customers.models import Customer
from ventanilla.orders.models import Order, OrderLine

LINES = [("TREN-01", 2495, 1), ("PEONZA", 500, 3)]


@pytest.fixture
def catalog(session: Session) -> None:
    make_product(session, sku="TREN-01", price_minor=2495)
    make_product(session, sku="PEONZA", price_minor=500)
    make_product(session, sku="DOLLAR-1", price_minor=999, currency="USD")
    session.commit()


def put(store: TestClient, number: str, body: dict[str, Any]) -> Any:
    return store.put(f"/api/v1/orders/{number}", json=body)


def activity_kinds(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(Activity.kind).order_by(col(Activity.id))).all())


def order_row(engine: Engine, number: str) -> Order:
    with Session(engine) as s:
        return s.exec(select(Order).where(Order.number == number)).one()


@pytest.mark.usefixtures("catalog")
class TestPutOrderCreates:
    def test_a_new_order_is_created_with_201_and_version_1(
        self, store: TestClient, engine: Engine
    ) -> None:
        response = put(store, "ES-1001", order_payload(LINES))
        assert response.status_code == 201
        body = response.json()
        assert body["result"] == "created"
        assert (body["number"], body["status"], body["version"]) == ("ES-1001", "paid", 1)
        assert body["totals"]["total_minor"] == 2495 + 1500 + 495
        assert [line["sku"] for line in body["lines"]] == ["TREN-01", "PEONZA"]
        assert body["lines"][1]["total_minor"] == 1500
        assert body["customer"]["email"] == "lucia.garcia@example.com"
        assert body["shipping_address"]["city"] == "Madrid"
        assert body["placed_at"] == "2026-11-20T09:15:00Z"
        assert body["status_at"] == body["placed_at"]
        assert body["payment_reference"] == "pi_3TestPaymentIntent01"

    def test_creation_is_recorded_with_the_store_actor(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        with Session(engine) as s:
            entry = s.exec(select(Activity)).one()
        assert entry.kind == "order.created"
        assert (entry.actor_type, entry.actor_id) == ("store", "Tienda de prueba")
        assert entry.order_id == order_row(engine, "ES-1001").id

    @pytest.mark.parametrize(
        ("rate", "bp"),
        [("21", 2100), (21, 2100), ("10.5", 1050), (4.0, 400), ("0", 0), (" 7.25 ", 725)],
    )
    def test_tax_rates_in_percent_are_stored_as_basis_points(
        self, store: TestClient, engine: Engine, rate: Any, bp: int
    ) -> None:
        body = order_payload(LINES)
        body["lines"][0]["tax_rate"] = rate
        response = put(store, "ES-1001", body)
        assert response.status_code == 201, response.json()
        assert response.json()["lines"][0]["tax_rate_bp"] == bp
        with Session(engine) as s:
            line = s.exec(select(OrderLine).where(OrderLine.line_no == 1)).one()
        assert line.tax_rate_bp == bp

    def test_duplicate_lines_for_one_sku_are_kept_apart(self, store: TestClient) -> None:
        response = put(store, "ES-1001", order_payload([("PEONZA", 500, 1), ("PEONZA", 450, 2)]))
        assert response.status_code == 201
        assert [line["line_no"] for line in response.json()["lines"]] == [1, 2]

    def test_billing_address_is_optional(self, store: TestClient) -> None:
        response = put(store, "ES-1001", order_payload(LINES, billing_address=None))
        assert response.status_code == 201
        assert response.json()["billing_address"] is None

    def test_the_customer_is_found_by_lower_cased_email_and_updated(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        second = order_payload(LINES, email="LUCIA.Garcia@Example.com")
        second["customer"]["name"] = "Lucía García Pérez"
        second["customer"]["email"] = "LUCIA.Garcia@Example.com"
        put(store, "ES-1002", second)
        with Session(engine) as s:
            customers = s.exec(select(Customer)).all()
        assert [(c.email, c.name) for c in customers] == [
            ("lucia.garcia@example.com", "Lucía García Pérez")
        ]

    def test_an_order_may_be_created_in_a_later_status(self, store: TestClient) -> None:
        response = put(store, "ES-1001", order_payload(LINES, status="delivered"))
        assert response.status_code == 201
        assert response.json()["status"] == "delivered"


@pytest.mark.usefixtures("catalog")
class TestPutOrderIsIdempotent:
    def test_the_same_push_again_is_unchanged_and_writes_nothing(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        before = snapshot(engine)
        response = put(store, "ES-1001", order_payload(LINES))
        assert response.status_code == 200
        assert (response.json()["result"], response.json()["version"]) == ("unchanged", 1)
        assert snapshot(engine) == before

    def test_the_same_push_with_keys_in_another_order_is_unchanged(self, store: TestClient) -> None:
        body = order_payload(LINES)
        put(store, "ES-1001", body)
        reordered = dict(reversed(list(copy.deepcopy(body).items())))
        reordered["placed_at"] = "2026-11-20T09:15:00Z"  # the same instant, another offset
        assert put(store, "ES-1001", reordered).json()["result"] == "unchanged"

    def test_the_same_push_after_a_status_event_is_still_unchanged(
        self, store: TestClient, engine: Engine
    ) -> None:
        body = order_payload(LINES)
        put(store, "ES-1001", body)
        event = {"status": "processing", "at": "2026-11-20T12:00:00Z"}
        store.post("/api/v1/orders/ES-1001/status", json=event)
        response = put(store, "ES-1001", body)
        assert response.status_code == 200
        assert (response.json()["result"], response.json()["status"]) == ("unchanged", "processing")
        assert response.json()["version"] == 2

    def test_a_changed_line_is_updated_and_bumps_the_version(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        response = put(store, "ES-1001", order_payload([("TREN-01", 2495, 2), ("PEONZA", 500, 3)]))
        assert response.status_code == 200
        body = response.json()
        assert (body["result"], body["version"]) == ("updated", 2)
        assert body["lines"][0]["quantity"] == 2
        with Session(engine) as s:
            entry = s.exec(select(Activity).where(Activity.kind == "order.updated")).one()
        assert entry.data["changed"] == ["lines", "totals"]
        assert entry.data["version"] == 2

    def test_lines_are_rewritten_in_place_and_extra_ones_removed(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        with Session(engine) as s:
            first_id = s.exec(select(OrderLine.id).where(OrderLine.line_no == 1)).one()
        response = put(store, "ES-1001", order_payload([("PEONZA", 500, 1)]))
        assert [line["sku"] for line in response.json()["lines"]] == ["PEONZA"]
        with Session(engine) as s:
            rows = s.exec(select(OrderLine)).all()
        assert [(r.id, r.sku) for r in rows] == [(first_id, "PEONZA")]

    def test_an_address_change_is_applied(self, store: TestClient) -> None:
        put(store, "ES-1001", order_payload(LINES))
        body = order_payload(LINES)
        body["shipping_address"]["line1"] = "Calle del Prado 7"
        response = put(store, "ES-1001", body)
        assert response.json()["shipping_address"]["line1"] == "Calle del Prado 7"
        assert response.json()["version"] == 2

    def test_a_push_with_a_new_status_moves_the_order_on(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES, status="placed"))
        response = put(store, "ES-1001", order_payload(LINES, status="paid"))
        assert (response.json()["result"], response.json()["status"]) == ("updated", "paid")
        assert activity_kinds(engine) == ["order.created", "order.updated", "order.status_changed"]

    def test_a_push_with_a_backwards_status_gets_409_and_changes_nothing(
        self, store: TestClient, engine: Engine
    ) -> None:
        put(store, "ES-1001", order_payload(LINES, status="processing"))
        before = snapshot(engine)
        response = put(store, "ES-1001", order_payload(LINES, status="paid"))
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"
        assert "from processing to paid" in response.json()["detail"]
        assert snapshot(engine) == before

    def test_a_push_that_starts_packing_is_refused(self, store: TestClient) -> None:
        put(store, "ES-1001", order_payload(LINES))
        response = put(store, "ES-1001", order_payload(LINES, status="packing"))
        assert response.status_code == 409
        assert "claim" in response.json()["detail"]

    def test_a_new_order_cannot_start_in_packing(self, store: TestClient, engine: Engine) -> None:
        response = put(store, "ES-1001", order_payload(LINES, status="packing"))
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "status"]
        assert snapshot(engine)["orders"] == []


@pytest.mark.usefixtures("catalog")
class TestPutOrderOnceLocked:
    def claimed(self, store: TestClient) -> dict[str, Any]:
        body = order_payload(LINES)
        put(store, "ES-1001", body)
        assert store.post("/api/v1/orders/ES-1001/packing").status_code == 200
        return body

    def test_a_changed_push_after_the_claim_gets_409_order_locked(
        self, store: TestClient, engine: Engine
    ) -> None:
        self.claimed(store)
        before = snapshot(engine)
        response = put(store, "ES-1001", order_payload([("TREN-01", 2495, 5)]))
        assert response.status_code == 409
        assert response.json()["code"] == "order_locked"
        assert "packing" in response.json()["detail"]
        assert snapshot(engine) == before

    def test_the_same_push_after_the_claim_is_unchanged(self, store: TestClient) -> None:
        body = self.claimed(store)
        response = put(store, "ES-1001", body)
        assert response.status_code == 200
        assert (response.json()["result"], response.json()["status"]) == ("unchanged", "packing")

    def test_a_status_only_push_after_the_claim_follows_the_transition_rules(
        self, store: TestClient
    ) -> None:
        body = self.claimed(store)
        body["status"] = "packed"
        response = put(store, "ES-1001", body)
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["version"]) == ("packed", 3)

    def test_new_customer_details_after_the_claim_update_the_customer_not_the_order(
        self, store: TestClient, engine: Engine
    ) -> None:
        body = self.claimed(store)
        body["customer"]["phone"] = "+34 699 000 000"
        body["status"] = "packing"  # the shop's view caught up with the claim
        response = put(store, "ES-1001", body)
        assert response.status_code == 200
        assert (response.json()["result"], response.json()["version"]) == ("unchanged", 2)
        assert response.json()["customer"]["phone"] == "+34 699 000 000"

    def test_a_cancelled_order_cannot_be_changed(self, store: TestClient) -> None:
        put(store, "ES-1001", order_payload(LINES, status="cancelled"))
        response = put(store, "ES-1001", order_payload([("TREN-01", 2495, 5)], status="cancelled"))
        assert response.status_code == 409
        assert response.json()["code"] == "order_locked"


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


INVALID: list[tuple[str, tuple[Any, ...], Any, list[Any]]] = [
    ("negative quantity", ("lines", 0, "quantity"), -1, ["body", "lines", 0, "quantity"]),
    ("zero quantity", ("lines", 1, "quantity"), 0, ["body", "lines", 1, "quantity"]),
    ("float quantity", ("lines", 0, "quantity"), 1.5, ["body", "lines", 0, "quantity"]),
    (
        "negative price",
        ("lines", 0, "unit_price_minor"),
        -5,
        ["body", "lines", 0, "unit_price_minor"],
    ),
    (
        "tax rate with 3 decimals",
        ("lines", 0, "tax_rate"),
        "21.005",
        ["body", "lines", 0, "tax_rate"],
    ),
    ("tax rate over 100", ("lines", 0, "tax_rate"), "150", ["body", "lines", 0, "tax_rate"]),
    ("tax rate not a number", ("lines", 0, "tax_rate"), "IVA", ["body", "lines", 0, "tax_rate"]),
    ("lower-case currency", ("currency",), "eur", ["body", "currency"]),
    ("unknown currency", ("currency",), "ABC", ["body", "currency"]),
    (
        "unknown country",
        ("shipping_address", "country"),
        "XX",
        ["body", "shipping_address", "country"],
    ),
    (
        "lower-case country",
        ("billing_address", "country"),
        "es",
        ["body", "billing_address", "country"],
    ),
    ("not an email", ("customer", "email"), "lucia", ["body", "customer", "email"]),
    ("naive placed_at", ("placed_at",), "2026-11-20T10:15:00", ["body", "placed_at"]),
    ("placed_at out of range", ("placed_at",), "0001-01-01T00:00:00+05:00", ["body", "placed_at"]),
    ("placed_at in the future", ("placed_at",), "2999-01-01T00:00:00Z", ["body", "placed_at"]),
    ("unknown status", ("status",), "lost", ["body", "status"]),
    ("unknown field", ("coupon",), "X", ["body", "coupon"]),
    ("unknown nested field", ("customer", "vip"), True, ["body", "customer", "vip"]),
    (
        "NUL in a name",
        ("shipping_address", "name"),
        "Lu\x00cía",
        ["body", "shipping_address", "name"],
    ),
    (
        "too long city",
        ("shipping_address", "city"),
        "M" * 101,
        ["body", "shipping_address", "city"],
    ),
    (
        "amount over 32 bits",
        ("totals", "shipping_minor"),
        2**31,
        ["body", "totals", "shipping_minor"],
    ),
    ("no lines", ("lines",), [], ["body", "lines"]),
    ("sku with spaces", ("lines", 0, "sku"), "TREN 01", ["body", "lines", 0, "sku"]),
]


@pytest.mark.usefixtures("catalog")
class TestPutOrderValidation:
    @pytest.mark.parametrize(
        ("path", "value", "loc"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
    )
    def test_malformed_input_gets_422_with_its_location_and_changes_nothing(
        self, store: TestClient, engine: Engine, path: tuple[Any, ...], value: Any, loc: list[Any]
    ) -> None:
        put(store, "ES-1001", order_payload(LINES))
        before = snapshot(engine)
        body = order_payload(LINES)
        body["lines"][0]["quantity"] = 2  # a real change, so only the error can stop it
        body["totals"]["subtotal_minor"] += 2495
        body["totals"]["total_minor"] += 2495
        _set(body, path, value)
        response = put(store, "ES-1001", body)
        assert response.status_code == 422
        assert loc in [e["loc"] for e in response.json()["detail"]]
        assert snapshot(engine) == before

    def test_an_unknown_sku_is_named_by_its_line(self, store: TestClient, engine: Engine) -> None:
        body = order_payload([("TREN-01", 2495, 1), ("PEONZA", 500, 1), ("GHOST", 100, 1)])
        response = put(store, "ES-1001", body)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "lines", 2, "sku"]
        assert error["type"] == "unknown_sku"
        assert snapshot(engine)["orders"] == []
        assert snapshot(engine)["customers"] == []

    def test_a_product_in_another_currency_is_refused(
        self, store: TestClient, engine: Engine
    ) -> None:
        response = put(
            store, "ES-1001", order_payload([("TREN-01", 2495, 1), ("DOLLAR-1", 999, 1)])
        )
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "lines", 1, "sku"]
        assert error["type"] == "currency_mismatch"
        assert "USD" in error["msg"]
        assert snapshot(engine)["orders"] == []

    def test_a_subtotal_that_is_not_the_sum_of_the_lines_is_refused(
        self, store: TestClient, engine: Engine
    ) -> None:
        body = order_payload(LINES)
        body["totals"]["subtotal_minor"] += 1
        body["totals"]["total_minor"] += 1
        response = put(store, "ES-1001", body)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [
            ["body", "totals", "subtotal_minor"]
        ]
        assert snapshot(engine)["orders"] == []

    def test_a_total_that_does_not_add_up_is_refused(
        self, store: TestClient, engine: Engine
    ) -> None:
        body = order_payload(LINES, discount_minor=300)
        body["totals"]["total_minor"] += 300
        response = put(store, "ES-1001", body)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "totals", "total_minor"]]

    def test_every_rule_broken_is_reported_at_once(self, store: TestClient) -> None:
        body = order_payload([("GHOST", 100, 1), ("DOLLAR-1", 999, 1)])
        body["totals"]["subtotal_minor"] = 1
        response = put(store, "ES-1001", body)
        assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
            ("body", "lines", 0, "sku"),
            ("body", "lines", 1, "sku"),
            ("body", "totals", "subtotal_minor"),
            ("body", "totals", "total_minor"),
        }

    @pytest.mark.parametrize("number", ["ES 1001", "x" * 65, "ES%231001"])
    def test_an_invalid_order_number_in_the_path_gets_422(
        self, store: TestClient, number: str
    ) -> None:
        response = store.put(f"/api/v1/orders/{number}", json=order_payload(LINES))
        assert response.status_code == 422


class TestOrderScopes:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("PUT", "/api/v1/orders/ES-1001", order_payload(LINES)),
            (
                "POST",
                "/api/v1/orders/ES-1001/status",
                {"status": "paid", "at": "2026-11-20T10:00:00Z"},
            ),
            ("POST", "/api/v1/orders/ES-1001/packing", None),
        ],
    )
    def test_a_key_without_orders_scope_gets_403(
        self, client: TestClient, method: str, path: str, body: Any
    ) -> None:
        key = key_with_scopes("catalog:write", "shipments:write")
        response = client.request(method, path, json=body, headers=bearer(key))
        assert response.status_code == 403
        assert response.json()["code"] == "missing_scope"

    def test_no_key_gets_401(self, client: TestClient) -> None:
        assert client.post("/api/v1/orders/ES-1001/packing").status_code == 401
