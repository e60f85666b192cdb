"""Schemathesis on /openapi.json: no input the shop can send gives a 5xx or breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from sqlmodel import Session

from tests.factories import make_order, make_product

# Authenticated store API only: the shopper pages are HTML and have their own tests.
schema = schemathesis.pytest.from_fixture("store_api_schema")


@pytest.fixture
def store_api_schema(app: FastAPI, session: Session, api_key: str) -> schemathesis.BaseSchema:
    # Real rows behind some paths, so generated requests reach the rules and not only 404s.
    product = make_product(session, sku="TREN-01")
    make_order(session, number="ES-1001", lines=[product])
    session.commit()
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded.config.headers = {"Authorization": f"Bearer {api_key}"}  # type: ignore[attr-defined]
    return loaded.include(path_regex="^/api/v1/")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_store_api_never_errors_and_matches_its_schema(case, backend, api_key) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"})
