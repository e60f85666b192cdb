from __future__ import annotations

from fastapi.testclient import TestClient


class TestHealth:
    def test_healthz_answers_ok(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_readyz_answers_ok_with_the_database_reachable(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "unused"}}

    def test_openapi_describes_the_store_api(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        assert spec["info"]["title"] == "Ventanilla"
