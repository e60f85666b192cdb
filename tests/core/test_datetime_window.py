"""Every time and date the store API takes lies in one window (core.fields: 2000-01-01 to 24 h
from now): outside it, a 422 that names the field, and nothing is stored."""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import (
    AwareDatetime,
    BaseModel,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
)
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.test_access_control import flat_routes
from tests.factories import make_order, make_product, order_payload
from tests.invoices.support import invoice_data
from ventanilla.core import clock, fields

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOO_OLD = ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "1970-01-01T00:00:00+00:00"]
TOO_NEW = ["2026-11-21T12:00:01Z", "9999-12-31T23:59:59Z"]


TIME_TYPES = (AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime, PastDate, FutureDate)


def _window_validators(annotation: Any, metadata: list[Any]) -> list[tuple[type, bool]]:
    """(datetime or date type, guarded by the window?) for every time in a field's type."""
    found: list[tuple[type, bool]] = []
    guarded = any(
        getattr(m, "func", None) in (fields._in_window, fields._date_in_window) for m in metadata
    )
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _window_validators(inner, [*metadata, *extra])
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            found += _window_validators(arg, metadata if origin is not dict else [])
        return found
    if annotation in TIME_TYPES or (
        isinstance(annotation, type) and issubclass(annotation, datetime | date)
    ):
        return [(annotation, guarded)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for field in annotation.model_fields.values():
            found += _window_validators(field.annotation, list(field.metadata))
    return found


class TestOneRule:
    def test_every_time_in_every_request_body_uses_the_window(self, app: FastAPI) -> None:
        checked = 0
        for info in flat_routes(app.routes):
            for param in info.dependant.body_params:
                for kind, guarded in _window_validators(
                    param.field_info.annotation, list(param.field_info.metadata)
                ):
                    assert guarded, f"{info.path}: a {kind.__name__} outside the window rule"
                    checked += 1
        assert checked >= 6  # placed_at, status at, stock at, shipped_at, occurred_at, issue_date

    @pytest.mark.parametrize(
        ("value", "ok"),
        [
            ("2000-01-01T00:00:00Z", True),
            ("2000-01-01T01:00:00+01:00", True),  # the same instant
            ("2000-01-01T00:59:59+01:00", False),
            ("2026-11-21T12:00:00Z", True),  # 24 h ahead: a shop's clock may run fast
            *[(v, False) for v in TOO_OLD + TOO_NEW],
            ("0001-01-01T00:00:00+05:00", False),  # before year 1 in UTC
        ],
    )
    def test_window_edges(self, value: str, ok: bool) -> None:
        from pydantic import TypeAdapter, ValidationError

        adapter: TypeAdapter[datetime] = TypeAdapter(fields.UTCDatetime)
        with clock.frozen(NOW):
            if ok:
                assert adapter.validate_python(value).tzinfo is UTC
            else:
                with pytest.raises(ValidationError) as raised:
                    adapter.validate_python(value)
                assert raised.value.errors()[0]["type"] in ("too_early", "in_future", "value_error")


def refused(response: Any, loc: list[Any], kind: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["loc"] for e in body["detail"]] == [loc], body
    assert body["detail"][0]["type"] == kind


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def frozen() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.mark.usefixtures("frozen")
class TestStoreApiRefusesOutOfWindow:
    @pytest.mark.parametrize("value", TOO_OLD + TOO_NEW)
    def test_placed_at(
        self, store: TestClient, session: Session, engine: Engine, value: str
    ) -> None:
        make_product(session, sku="TREN-01", price_minor=2495)
        session.commit()
        body = order_payload([("TREN-01", 2495, 1)], placed_at=value)
        response = store.put("/api/v1/orders/ES-1001", json=body)
        refused(response, ["body", "placed_at"], "too_early" if value < "2000" else "in_future")
        assert count(engine, "orders") == 0

    @pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
    def test_status_event_time(
        self, store: TestClient, session: Session, engine: Engine, value: str
    ) -> None:
        order = make_order(session, status="paid", placed_at=NOW - timedelta(days=1))
        session.commit()
        response = store.post(
            f"/api/v1/orders/{order.number}/status", json={"status": "shipped", "at": value}
        )
        refused(response, ["body", "at"], "too_early" if value < "2000" else "in_future")
        assert count(engine, "activity") == 0

    def test_stock_count_time(self, store: TestClient, session: Session) -> None:
        make_product(session, sku="TREN-01")
        session.commit()
        body = {"items": [{"sku": "TREN-01", "stock_on_hand": 3, "at": "0001-01-01T00:00:00Z"}]}
        refused(store.post("/api/v1/stock", json=body), ["body", "items", 0, "at"], "too_early")

    def test_shipment_and_tracking_times(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        order = make_order(session, status="paid", placed_at=NOW - timedelta(days=1))
        session.commit()
        shipped = store.post(
            f"/api/v1/orders/{order.number}/shipments",
            json={"carrier": "SEUR", "tracking_number": "T1", "shipped_at": "0001-01-01T00:00:00Z"},
        )
        refused(shipped, ["body", "shipped_at"], "too_early")
        assert count(engine, "shipments") == 0

    def test_invoice_issue_date(self, store: TestClient, session: Session, engine: Engine) -> None:
        order = make_order(session, status="paid", placed_at=NOW - timedelta(days=1))
        session.commit()
        body = invoice_data(order.number, issue_date="0001-01-01")
        refused(store.put("/api/v1/invoices/F-1", json=body), ["body", "issue_date"], "too_early")
        body = invoice_data(order.number, issue_date="2026-11-23")
        refused(store.put("/api/v1/invoices/F-1", json=body), ["body", "issue_date"], "in_future")
        assert count(engine, "invoices") == 0
