"""Returns fixtures: localstripe (started only by the tests that ask for it) and its app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.stripe_server import localstripe_fixture, stripe_settings_fixture  # noqa: F401
from ventanilla.config import Settings


@pytest.fixture
def stripe_client(stripe_settings: Settings) -> Iterator[TestClient]:
    from ventanilla.app import create_app

    with TestClient(create_app(stripe_settings), base_url="http://testserver") as client:
        client.cookies.set("lang", "en")
        yield client


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: only PostgreSQL can race these for real")
