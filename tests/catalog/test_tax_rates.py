"""Products carry their own VAT rate (issue 10, kind 3): the same forms as order lines accept,
read back in percent and basis points, refused when malformed without changing anything."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import product_payload
from ventanilla.catalog.models import Product


def rate_of(engine: Engine, sku: str) -> int | None:
    with Session(engine) as s:
        product = s.exec(select(Product).where(Product.sku == sku)).one()
        return product.tax_rate_bp


class TestTaxRate:
    @pytest.mark.parametrize(
        ("sent", "bp", "percent"),
        [
            ("21", 2100, "21"),
            (21, 2100, "21"),
            ("10.5", 1050, "10.5"),
            (4, 400, "4"),
            ("0", 0, "0"),
            (7.0, 700, "7"),
        ],
    )
    def test_every_form_an_order_line_accepts(
        self, store: TestClient, engine: Engine, sent: Any, bp: int, percent: str
    ) -> None:
        response = store.put("/api/v1/products/LIBRO-1", json=product_payload(tax_rate=sent))
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["tax_rate"], body["tax_rate_bp"]) == (percent, bp)
        assert rate_of(engine, "LIBRO-1") == bp

    def test_a_product_without_a_rate_is_stored_without_one(
        self, store: TestClient, engine: Engine
    ) -> None:
        response = store.put("/api/v1/products/SIN-1", json=product_payload())
        assert response.status_code == 201
        assert (response.json()["tax_rate"], response.json()["tax_rate_bp"]) == (None, None)
        assert rate_of(engine, "SIN-1") is None

    def test_a_new_rate_updates_the_product(self, store: TestClient, engine: Engine) -> None:
        store.put("/api/v1/products/JUGUETE-1", json=product_payload(tax_rate="10"))
        response = store.put("/api/v1/products/JUGUETE-1", json=product_payload(tax_rate="21"))
        assert response.json()["result"] == "updated"
        assert rate_of(engine, "JUGUETE-1") == 2100

    @pytest.mark.parametrize("bad", ["-1", "100.01", "10.555", "abc", "", True, [21]])
    def test_a_malformed_rate_is_refused_and_nothing_is_stored(
        self, store: TestClient, engine: Engine, bad: Any
    ) -> None:
        response = store.put("/api/v1/products/MAL-1", json=product_payload(tax_rate=bad))
        assert response.status_code == 422, response.text
        assert any(error["loc"][-1] == "tax_rate" for error in response.json()["detail"])
        with Session(engine) as s:
            assert s.exec(select(Product).where(Product.sku == "MAL-1")).first() is None
