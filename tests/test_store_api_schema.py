"""Schemathesis on /openapi.json: no input the shop can send gives a 5xx or breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from tests.conftest import make_settings
from tests.factories import make_order, make_product
from tests.invoices.support import pdf_bytes
from ventanilla.app import create_app

# The schema is read from an app built at import; each test points the settings at its database.
_app = create_app(make_settings("sqlite://", __import__("pathlib").Path("/tmp")))
# Invoice PDFs: real ones (encrypted too) and random bytes, so the checks behind the route run.
schemathesis.openapi.media_type(
    "application/pdf",
    st.one_of(st.sampled_from([pdf_bytes(), pdf_bytes(password="x")]), st.binary(max_size=2000)),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app).include(path_regex="^/api/v1/")


@pytest.fixture
def seeded(session: Session, api_key: str) -> str:
    # Real rows behind some paths, so generated requests reach the rules and not only 404s.
    product = make_product(session, sku="TREN-01")
    make_order(session, number="ES-1001", lines=[product])
    session.commit()
    return api_key


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_store_api_never_errors_and_matches_its_schema(case, seeded: str) -> None:  # type: ignore[no-untyped-def]
    # A schema-valid body can still break a rule (unknown SKU, totals that don't add up): 422 is
    # the right answer there, so the "valid data must be accepted" check does not apply.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {seeded}"},
        excluded_checks=[positive_data_acceptance],
    )
