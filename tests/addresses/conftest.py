from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> None:
    """Shopper pages in English (the shop default is Spanish) unless a test asks otherwise."""
    if "client" in request.fixturenames:
        client: TestClient = request.getfixturevalue("client")
        client.headers["Accept-Language"] = "en"
