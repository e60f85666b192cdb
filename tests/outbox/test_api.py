"""The webhooks API: registration, validation, scopes, ping, the delivery log and retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from tests.outbox.helpers import deliveries, outbox
from tests.servers import WebhookReceiver
from ventanilla.apikeys import service as apikeys_service
from ventanilla.config import Settings
from ventanilla.db import session_scope
from ventanilla.outbox import sender, service

URL = "https://tienda.example/hooks/ventanilla"


def register(store: TestClient, **body: Any) -> dict[str, Any]:
    response = store.post("/api/v1/webhooks", json={"url": URL, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestRegister:
    def test_created_endpoint_shows_its_secret_once(self, store: TestClient) -> None:
        events = ["order.amended", "return.requested"]
        created = register(store, events=events, description="Tienda")
        assert created["secret"].startswith("whsec_")
        Webhook(created["secret"])  # a usable Standard Webhooks secret
        assert created["url"] == URL
        assert created["events"] == events
        assert created["description"] == "Tienda"
        assert created["active"] is True

        listed = store.get("/api/v1/webhooks").json()
        assert listed["count"] == 1
        assert "secret" not in listed["data"][0]
        one = store.get(f"/api/v1/webhooks/{created['id']}").json()
        assert "secret" not in one
        assert one == {k: v for k, v in created.items() if k != "secret"}

    def test_no_events_means_every_event_and_duplicates_collapse(self, store: TestClient) -> None:
        assert register(store)["events"] == []
        twice = register(store, events=["ping", "order.amended", "ping"])
        assert twice["events"] == ["ping", "order.amended"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"url": URL, "events": ["order.deleted"]}, "events"),
            ({"url": URL, "colour": "red"}, "colour"),
            ({"events": []}, "url"),
            ({"url": "ftp://tienda.example/h"}, "url"),
            ({"url": "https://user:pw@tienda.example/h"}, "url"),
            ({"url": "https://tienda.example/\u0000"}, "url"),
            ({"url": "x" * 2001}, "url"),
            ({"url": URL, "description": "line\nbreak"}, "description"),
            ({"url": URL, "events": "order.amended"}, "events"),
            ({"url": 42}, "url"),
        ],
    )
    def test_bad_input_is_422_with_the_field_and_changes_nothing(
        self, store: TestClient, body: dict[str, Any], field: str
    ) -> None:
        response = store.post("/api/v1/webhooks", json=body)
        assert response.status_code == 422, response.text
        payload = response.json()
        assert payload["code"] == "validation_error"
        assert any(field in [str(p) for p in e["loc"]] for e in payload["detail"]), payload
        assert store.get("/api/v1/webhooks").json()["count"] == 0

    def test_plain_http_is_refused_when_not_allowed(
        self, store: TestClient, configure: Callable[..., Settings]
    ) -> None:
        configure(allow_http_webhooks=False)
        response = store.post("/api/v1/webhooks", json={"url": "http://tienda.example/h"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "url"]
        assert "https" in response.json()["detail"][0]["msg"]


class TestScopes:
    def test_a_key_without_the_webhooks_scope_gets_403(self, client: TestClient) -> None:
        with session_scope() as session:
            key = apikeys_service.create_key(session, name="Almacén", scopes=["orders:write"]).key
        client.headers["Authorization"] = f"Bearer {key}"
        for method, path in [
            ("POST", "/api/v1/webhooks"),
            ("GET", "/api/v1/webhooks"),
            ("GET", "/api/v1/webhooks/1"),
            ("DELETE", "/api/v1/webhooks/1"),
            ("POST", "/api/v1/webhooks/1/ping"),
            ("GET", "/api/v1/webhooks/1/deliveries"),
            ("POST", "/api/v1/webhooks/messages/msg_x/retry"),
        ]:
            response = client.request(method, path, json={"url": URL})
            assert response.status_code == 403, (method, path)
            assert response.json()["code"] == "missing_scope"

    def test_no_key_gets_401(self, client: TestClient) -> None:
        assert client.post("/api/v1/webhooks", json={"url": URL}).status_code == 401
        assert client.get("/api/v1/webhooks").status_code == 401


class TestManage:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/webhooks/999"),
            ("DELETE", "/api/v1/webhooks/999"),
            ("POST", "/api/v1/webhooks/999/ping"),
            ("GET", "/api/v1/webhooks/999/deliveries"),
            ("POST", "/api/v1/webhooks/messages/msg_nope/retry"),
        ],
    )
    def test_unknown_ids_get_404(self, store: TestClient, method: str, path: str) -> None:
        response = store.request(method, path)
        assert response.status_code == 404
        code = response.json()["code"]
        assert code in ("webhook_endpoint_not_found", "webhook_message_not_found")

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/webhooks/abc",
            "/api/v1/webhooks/0",
            "/api/v1/webhooks/99999999999999999999",
            "/api/v1/webhooks/1/deliveries?limit=0",
            "/api/v1/webhooks/1/deliveries?limit=1000",
        ],
    )
    def test_bad_path_or_query_gets_422(self, store: TestClient, path: str) -> None:
        assert store.get(path).status_code == 422

    def test_a_deleted_endpoint_is_gone_but_kept_on_record(self, store: TestClient) -> None:
        created = register(store)
        path = f"/api/v1/webhooks/{created['id']}"
        assert store.delete(path).status_code == 204

        gone = [("GET", ""), ("DELETE", ""), ("POST", "/ping"), ("GET", "/deliveries")]
        for method, suffix in gone:
            response = store.request(method, path + suffix)
            assert response.status_code == 404, (method, suffix)
        assert store.get("/api/v1/webhooks").json()["count"] == 0
        kept = store.get("/api/v1/webhooks?include_disabled=true").json()
        assert kept["count"] == 1
        assert kept["data"][0]["active"] is False and kept["data"][0]["disabled_at"] is not None
        with session_scope() as session:
            assert service.emit_event(session, type="order.amended", data={}) == []


class TestPingAndLog:
    def test_ping_goes_to_that_endpoint_only_and_shows_in_its_log(
        self, store: TestClient, webhook_receiver: WebhookReceiver
    ) -> None:
        first = register(store, url=webhook_receiver.url + "/a", events=["order.amended"])
        register(store, url=webhook_receiver.url + "/b")

        response = store.post(f"/api/v1/webhooks/{first['id']}/ping")
        assert response.status_code == 202
        queued = response.json()
        assert queued["id"].startswith("msg_")
        assert (queued["event_type"], queued["status"]) == ("ping", "pending")
        assert queued["attempts"] == 0
        assert [m.endpoint_id for m in outbox()] == [first["id"]]

        assert sender.drain_once() == 1
        (request,) = webhook_receiver.requests
        assert request.path == "/hooks/a"
        assert request.headers["webhook-id"] == queued["id"]
        assert Webhook(first["secret"]).verify(request.body, request.headers)["type"] == "ping"

        log = store.get(f"/api/v1/webhooks/{first['id']}/deliveries").json()
        assert log["count"] == 1
        (entry,) = log["data"]
        assert entry["message_id"] == queued["id"]
        assert (entry["attempt"], entry["status_code"], entry["delivered"]) == (1, 200, True)

    def test_log_is_newest_first_and_limited(
        self, store: TestClient, webhook_receiver: WebhookReceiver
    ) -> None:
        endpoint = register(store, url=webhook_receiver.url)
        webhook_receiver.respond_with(500, 500, 200)
        for _ in range(3):
            store.post(f"/api/v1/webhooks/{endpoint['id']}/ping")
        sender.drain_once()

        log = store.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries?limit=2").json()
        assert log["count"] == 3
        assert [e["delivered"] for e in log["data"]] == [True, False]
        assert log["data"][0]["id"] > log["data"][1]["id"]


class TestRetry:
    def test_a_dead_message_can_be_retried_with_the_same_id(
        self,
        store: TestClient,
        webhook_receiver: WebhookReceiver,
        configure: Callable[..., Settings],
    ) -> None:
        configure(outbox_max_attempts=1)
        endpoint = register(store, url=webhook_receiver.url)
        webhook_receiver.respond_with(500, 200)
        message_id = store.post(f"/api/v1/webhooks/{endpoint['id']}/ping").json()["id"]
        sender.drain_once()
        (dead,) = outbox()
        assert dead.status == "dead"

        retried = store.post(f"/api/v1/webhooks/messages/{message_id}/retry")
        assert retried.status_code == 202
        assert (retried.json()["id"], retried.json()["status"]) == (message_id, "pending")
        assert sender.drain_once() == 1

        assert [r.headers["webhook-id"] for r in webhook_receiver.requests] == [message_id] * 2
        assert [d.attempt for d in deliveries(message_id)] == [1, 2]
        (sent,) = outbox()
        assert sent.status == "sent"
        again = store.post(f"/api/v1/webhooks/messages/{message_id}/retry")
        assert again.status_code == 409
        assert again.json()["code"] == "webhook_message_already_sent"

    def test_emails_are_not_reachable_through_the_webhooks_api(self, store: TestClient) -> None:
        with session_scope() as session:
            email = service.enqueue_email(session, to="ana@example.com", subject="x", text="x")
        response = store.post(f"/api/v1/webhooks/messages/{email.id}/retry")
        assert response.status_code == 404


class TestOpenApi:
    def test_routes_are_documented_with_examples_and_errors(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        paths = spec["paths"]
        assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
        assert "404" in paths["/api/v1/webhooks/{endpoint_id}"]["get"]["responses"]
        assert "404" in paths["/api/v1/webhooks/{endpoint_id}/ping"]["post"]["responses"]
        retry = paths["/api/v1/webhooks/messages/{message_id}/retry"]["post"]["responses"]
        assert {"202", "404", "409"} <= set(retry)
        assert "422" in paths["/api/v1/webhooks"]["post"]["responses"]
        schemas = spec["components"]["schemas"]
        assert schemas["WebhookEndpointCreate"]["examples"]
        assert schemas["WebhookEndpointCreate"]["additionalProperties"] is False
        assert schemas["WebhookEndpointCreate"]["properties"]["url"]["pattern"]
        assert "ping" in str(schemas)
