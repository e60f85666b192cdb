from __future__ import annotations

from fastapi.testclient import TestClient


class TestApiErrors:
    def test_wrong_method_lists_every_method_of_the_path(self, store: TestClient) -> None:
        response = store.delete("/api/v1/orders/ES-1/shipments")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD, POST"
        assert response.json()["code"] == "method_not_allowed"

    def test_unknown_api_path_is_json_404(self, store: TestClient) -> None:
        response = store.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not Found"}

    def test_body_over_the_limit_is_refused_before_parsing(self, store: TestClient) -> None:
        response = store.put(
            "/api/v1/products/SKU-1",
            content=b"{" + b" " * 1_100_000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["code"] == "body_too_large"

    def test_unknown_page_is_a_friendly_html_404(self, client: TestClient) -> None:
        response = client.get("/no-such-page")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")

    def test_unknown_query_parameter_is_refused_like_an_unknown_field(
        self, store: TestClient
    ) -> None:
        response = store.get("/api/v1/webhooks?limt=5")
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {"loc": ["query", "limt"], "msg": "Unknown query parameter.", "type": "extra_forbidden"}
        ]
        assert store.get("/api/v1/webhooks?include_disabled=true").status_code == 200
