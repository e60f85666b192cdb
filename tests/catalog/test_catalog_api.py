"""PUT /api/v1/products/{sku} and POST /api/v1/stock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import make_product, product_payload
from tests.orders.support import bearer, key_with_scopes, snapshot
from ventanilla.catalog.models import Product
from ventanilla.core import clock


def stored(engine: Engine, sku: str) -> Product | None:
    with Session(engine) as s:
        return s.exec(select(Product).where(Product.sku == sku)).first()


class TestPutProduct:
    def test_a_new_sku_is_created_with_201(self, store: TestClient, engine: Engine) -> None:
        response = store.put("/api/v1/products/TREN-01", json=product_payload(group_sku="TREN"))
        assert response.status_code == 201
        body = response.json()
        assert body["result"] == "created"
        assert body["sku"] == "TREN-01"
        assert body["group_sku"] == "TREN"
        product = stored(engine, "TREN-01")
        assert product is not None
        assert (product.price_minor, product.currency, product.stock_on_hand) == (2495, "EUR", 8)
        assert product.image_url == "https://tienda.example/img/tren.jpg"

    def test_pushing_the_same_product_again_is_unchanged(self, store: TestClient) -> None:
        store.put("/api/v1/products/TREN-01", json=product_payload())
        response = store.put("/api/v1/products/TREN-01", json=product_payload())
        assert response.status_code == 200
        assert response.json()["result"] == "unchanged"
        assert response.json()["updated_at"] is None

    def test_a_changed_price_is_updated_with_200(self, store: TestClient, engine: Engine) -> None:
        store.put("/api/v1/products/TREN-01", json=product_payload())
        response = store.put("/api/v1/products/TREN-01", json=product_payload(price_minor=1995))
        assert response.status_code == 200
        assert response.json()["result"] == "updated"
        product = stored(engine, "TREN-01")
        assert product is not None and product.price_minor == 1995
        assert product.updated_at is not None

    def test_a_stock_change_moves_the_stock_clock(self, store: TestClient, engine: Engine) -> None:
        with clock.frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC)):
            store.put("/api/v1/products/TREN-01", json=product_payload())
        with clock.frozen(datetime(2026, 11, 20, 11, 0, tzinfo=UTC)):
            store.put("/api/v1/products/TREN-01", json=product_payload(stock_on_hand=3))
        product = stored(engine, "TREN-01")
        assert product is not None
        assert product.stock_on_hand == 3
        assert product.stock_updated_at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)

    def test_omitted_optional_fields_take_their_defaults(self, store: TestClient) -> None:
        body = {"name": "Peonza", "price_minor": 500, "currency": "EUR"}
        response = store.put("/api/v1/products/PEONZA", json=body)
        assert response.status_code == 201
        assert response.json()["stock_on_hand"] == 0
        assert response.json()["returnable"] is True
        assert response.json()["final_sale"] is False

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"currency": "eur"}, "currency"),
            ({"currency": "XYZ"}, "currency"),
            ({"currency": "EURO"}, "currency"),
            ({"price_minor": -1}, "price_minor"),
            ({"price_minor": 2**31}, "price_minor"),
            ({"price_minor": "12.5"}, "price_minor"),
            ({"price_minor": "1250"}, "price_minor"),
            ({"price_minor": 12.0}, "price_minor"),
            ({"final_sale": 0}, "final_sale"),
            ({"returnable": "yes"}, "returnable"),
            ({"stock_on_hand": -3}, "stock_on_hand"),
            ({"image_url": "ftp://tienda.example/tren.jpg"}, "image_url"),
            ({"image_url": "/img/tren.jpg"}, "image_url"),
            ({"image_url": "javascript:alert(1)"}, "image_url"),
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"name": "Tren\x00"}, "name"),
            ({"group_sku": "no spaces"}, "group_sku"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_invalid_fields_get_422_and_store_nothing(
        self, store: TestClient, engine: Engine, override: dict[str, Any], field: str
    ) -> None:
        before = snapshot(engine)
        response = store.put("/api/v1/products/TREN-01", json=product_payload(**override))
        assert response.status_code == 422
        assert ["body", field] in [e["loc"] for e in response.json()["detail"]]
        assert snapshot(engine) == before

    def test_an_invalid_update_leaves_the_product_as_it_was(
        self, store: TestClient, engine: Engine
    ) -> None:
        store.put("/api/v1/products/TREN-01", json=product_payload())
        before = snapshot(engine)
        response = store.put("/api/v1/products/TREN-01", json=product_payload(currency="ZZZ"))
        assert response.status_code == 422
        assert snapshot(engine) == before

    @pytest.mark.parametrize("sku", ["has space", "x" * 65, "ñandú", "a;b"])
    def test_an_invalid_sku_in_the_path_gets_422(self, store: TestClient, sku: str) -> None:
        response = store.put(f"/api/v1/products/{sku}", json=product_payload())
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "sku"]

    def test_a_key_without_catalog_scope_gets_403(self, client: TestClient) -> None:
        key = key_with_scopes("orders:write")
        response = client.put(
            "/api/v1/products/TREN-01", json=product_payload(), headers=bearer(key)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "missing_scope"


class TestPostStock:
    def test_levels_are_applied_in_bulk(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        make_product(session, sku="A-1", stock_on_hand=5)
        make_product(session, sku="B-2", stock_on_hand=5)
        session.commit()
        response = store.post(
            "/api/v1/stock",
            json={
                "items": [{"sku": "A-1", "stock_on_hand": 0}, {"sku": "B-2", "stock_on_hand": 5}]
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["updated"], body["unchanged"], body["stale"]) == (1, 1, 0)
        assert [i["result"] for i in body["items"]] == ["updated", "unchanged"]
        product = stored(engine, "A-1")
        assert product is not None and product.stock_on_hand == 0

    def test_an_unknown_sku_names_its_index_and_nothing_is_applied(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        make_product(session, sku="A-1", stock_on_hand=5)
        session.commit()
        before = snapshot(engine)
        response = store.post(
            "/api/v1/stock",
            json={
                "items": [
                    {"sku": "A-1", "stock_on_hand": 1},
                    {"sku": "NOPE", "stock_on_hand": 1},
                    {"sku": "ALSO-NOPE", "stock_on_hand": 1},
                ]
            },
        )
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [
            ["body", "items", 1, "sku"],
            ["body", "items", 2, "sku"],
        ]
        assert "NOPE" in response.json()["detail"][0]["msg"]
        assert snapshot(engine) == before

    def test_an_older_count_never_overwrites_a_newer_one(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        counted = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        make_product(session, sku="A-1", stock_on_hand=5, stock_updated_at=counted)
        session.commit()
        older = (counted - timedelta(minutes=1)).isoformat()
        response = store.post(
            "/api/v1/stock", json={"items": [{"sku": "A-1", "stock_on_hand": 9, "at": older}]}
        )
        assert response.json()["items"] == [{"sku": "A-1", "stock_on_hand": 5, "result": "stale"}]
        product = stored(engine, "A-1")
        assert product is not None and product.stock_on_hand == 5

    def test_a_newer_count_confirming_the_level_makes_later_old_counts_stale(
        self, store: TestClient, session: Session
    ) -> None:
        t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        make_product(session, sku="A-1", stock_on_hand=5, stock_updated_at=t0)
        session.commit()

        def push(stock: int, minutes: int) -> str:
            at = (t0 + timedelta(minutes=minutes)).isoformat()
            items = [{"sku": "A-1", "stock_on_hand": stock, "at": at}]
            return str(
                store.post("/api/v1/stock", json={"items": items}).json()["items"][0]["result"]
            )

        assert push(5, 10) == "unchanged"
        assert push(3, 5) == "stale"

    @pytest.mark.parametrize(
        "body",
        [
            {"items": []},
            {"items": [{"sku": "A-1", "stock_on_hand": -1}]},
            {"items": [{"sku": "A-1", "stock_on_hand": 1, "at": "2026-11-20T10:00:00"}]},
            {"items": [{"sku": "A-1", "stock_on_hand": 1, "at": 1763632800}]},
            {"items": [{"sku": "A-1", "stock_on_hand": 1, "extra": True}]},
            {"items": [{"sku": "A-1", "stock_on_hand": 1}] * 1001},
            [{"sku": "A-1", "stock_on_hand": 1}],
        ],
        ids=[
            "empty",
            "negative",
            "naive-time",
            "epoch-time",
            "unknown-field",
            "too-many",
            "bare-list",
        ],
    )
    def test_malformed_bodies_get_422_and_change_nothing(
        self, store: TestClient, session: Session, engine: Engine, body: Any
    ) -> None:
        make_product(session, sku="A-1", stock_on_hand=5)
        session.commit()
        before = snapshot(engine)
        response = store.post("/api/v1/stock", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert snapshot(engine) == before

    def test_a_count_far_in_the_future_is_refused(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        make_product(session, sku="A-1", stock_on_hand=5)
        session.commit()
        before = snapshot(engine)
        items = [{"sku": "A-1", "stock_on_hand": 1, "at": "2999-01-01T00:00:00Z"}]
        response = store.post("/api/v1/stock", json={"items": items})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "items", 0, "at"]
        assert snapshot(engine) == before

    def test_a_thousand_items_are_accepted(self, store: TestClient, session: Session) -> None:
        make_product(session, sku="A-1", stock_on_hand=5)
        session.commit()
        items = [{"sku": "A-1", "stock_on_hand": n % 7} for n in range(1000)]
        response = store.post("/api/v1/stock", json={"items": items})
        assert response.status_code == 200
        assert len(response.json()["items"]) == 1000

    def test_a_key_without_catalog_scope_gets_403(self, client: TestClient) -> None:
        key = key_with_scopes("orders:write")
        response = client.post(
            "/api/v1/stock",
            json={"items": [{"sku": "A-1", "stock_on_hand": 1}]},
            headers=bearer(key),
        )
        assert response.status_code == 403
