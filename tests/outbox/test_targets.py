"""Webhooks cannot reach inside: refused at registration and at every send, in every notation,
connected to the address that was checked, and the log never shows what a server said."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.outbox.helpers import add_endpoint, deliveries
from tests.servers import LOOPBACK, WebhookReceiver, free_port
from ventanilla.config import Settings
from ventanilla.outbox import delivery, sender, service, targets
from ventanilla.outbox.events import EventType

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.1.1",
    "100.64.0.1",  # CGNAT
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fc00::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",  # IPv4-mapped: refused whatever it maps to
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:db8::1",
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "64:ff9b::808:808"]
# Every way to write 127.0.0.1 (or another inside address) that a resolver accepts.
NOTATIONS = [
    "127.0.0.1",
    "2130706433",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f000001",
    "127.1",
    "0177.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[fd00:ec2::254]",
    "169.254.169.254",
    "0xa9fea9fe",
    "2852039166",
    "localhost",
    "LOCALHOST.",
    "api.localhost",
    # A trailing root dot is the same address to the resolver.
    "169.254.169.254.",
    "0x7F000001.",
    "127.1.",
]


class TestAddresses:
    @pytest.mark.parametrize("address", BLOCKED)
    def test_inside_addresses_are_blocked(self, address: str) -> None:
        assert targets.is_blocked(ipaddress.ip_address(address))

    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_addresses_are_not(self, address: str) -> None:
        assert not targets.is_blocked(ipaddress.ip_address(address))

    @pytest.mark.parametrize("host", NOTATIONS)
    def test_every_notation_is_refused_without_the_setting(self, host: str) -> None:
        with pytest.raises(targets.BlockedAddress):
            targets.vetted_addresses(host, 443, allow_private=False)

    @pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1"])
    def test_numeric_notations_read_as_the_resolver_reads_them(self, host: str) -> None:
        resolved = socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)[0][4][0]
        assert str(targets.literal_address(host)) == resolved == "127.0.0.1"

    def test_a_name_is_refused_when_any_of_its_addresses_is_inside(self) -> None:
        def resolve(host: str, port: int) -> list[str]:
            return ["93.184.215.14", "10.0.0.7"]

        with pytest.raises(targets.BlockedAddress):
            targets.vetted_addresses(
                "hooks.tienda.example", 443, allow_private=False, resolve=resolve
            )
        assert targets.vetted_addresses(
            "hooks.tienda.example", 443, allow_private=True, resolve=resolve
        ) == [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.7")]


class TestRegistration:
    @pytest.mark.parametrize("host", NOTATIONS)
    def test_inside_targets_are_refused_with_a_clear_422(
        self,
        store: TestClient,
        engine: Engine,
        configure: Callable[..., Settings],
        host: str,
    ) -> None:
        configure(webhooks_allow_private=False)
        for scheme in ("https", "http"):
            response = store.post("/api/v1/webhooks", json={"url": f"{scheme}://{host}:8080/h"})
            assert response.status_code == 422, response.text
            (error,) = response.json()["detail"]
            assert (error["loc"], error["type"]) == (["body", "url"], "blocked_address")
            assert "public addresses only" in error["msg"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM webhook_endpoints")).scalar_one() == 0

    def test_public_addresses_and_names_not_resolving_yet_are_accepted(
        self, store: TestClient, configure: Callable[..., Settings]
    ) -> None:
        configure(webhooks_allow_private=False)
        for url in ("https://93.184.215.14/hooks", "https://hooks.tienda.example/ventanilla"):
            assert store.post("/api/v1/webhooks", json={"url": url}).status_code == 201

    def test_production_refuses_by_default_and_the_setting_allows(self) -> None:
        assert Settings(env="production").webhooks_allow_private is False
        assert Settings(env="test").webhooks_allow_private is True
        assert Settings(env="production", webhooks_allow_private=True).webhooks_allow_private


def emit() -> list[str]:
    from ventanilla.db import session_scope

    with session_scope() as session:
        rows = service.emit_event(session, type=EventType.ORDER_AMENDED, data={"number": "ES-1"})
        return [row.id for row in rows]


class TestSending:
    def test_a_url_httpx_cannot_send_to_is_a_logged_failure_not_a_crash(self) -> None:
        # httpx.InvalidURL is no httpx.HTTPError: it escaped and the worker logged a traceback.
        client = delivery.new_client(2, allow_private=True)
        outcome = delivery.deliver(
            client,
            url="https://0177.0.0.1/h",
            secret="whsec_" + "A" * 32,
            message_id="m1",
            payload={"type": "ping"},
        )
        assert (outcome.ok, outcome.status_code, outcome.error) == (False, None, "invalid_url")

    def test_a_target_registered_before_is_refused_at_send_and_logged_as_blocked(
        self,
        webhook_receiver: WebhookReceiver,
        configure: Callable[..., Settings],
    ) -> None:
        add_endpoint(webhook_receiver.url)  # allowed when registered
        configure(webhooks_allow_private=False)
        (message_id,) = emit()
        assert sender.drain_once() == 1

        (attempt,) = deliveries(message_id)
        assert (attempt.status_code, attempt.error) == (None, "blocked_address")
        assert webhook_receiver.requests == []

    def test_the_log_keeps_the_status_never_the_body(
        self,
        webhook_receiver: WebhookReceiver,
        settings: Settings,
        store: TestClient,
    ) -> None:
        endpoint = add_endpoint(webhook_receiver.url)
        webhook_receiver.respond_with(404)
        (message_id,) = emit()
        sender.drain_once()

        (attempt,) = deliveries(message_id)
        assert (attempt.status_code, attempt.error) == (404, "http_4xx")
        log = store.get(f"/api/v1/webhooks/{endpoint.id}/deliveries").text
        assert "nope" not in log and "http_4xx" in log  # the receiver answered {"error":"nope"}

    def test_errors_logged_before_the_classes_are_shown_by_class_only(
        self, webhook_receiver: WebhookReceiver, settings: Settings, store: TestClient
    ) -> None:
        from ventanilla.db import session_scope
        from ventanilla.outbox.models import OutboxMessage, WebhookDelivery
        from ventanilla.outbox.schemas import WebhookMessageRead

        endpoint = add_endpoint(webhook_receiver.url)
        webhook_receiver.respond_with(500)
        (message_id,) = emit()
        sender.drain_once()
        with session_scope() as session:  # as an older version logged them
            for row in session.query(WebhookDelivery).all():
                row.error = 'HTTP 500: {"db_password": "hunter2"}'
            outbox_row = session.get(OutboxMessage, message_id)
            assert outbox_row is not None
            outbox_row.last_error = 'HTTP 500: {"db_password": "hunter2"}'
        log = store.get(f"/api/v1/webhooks/{endpoint.id}/deliveries")
        assert log.json()["data"][0]["error"] == "http_5xx"
        assert "hunter2" not in log.text
        with session_scope() as session:
            read = WebhookMessageRead.of(session.get(OutboxMessage, message_id))  # type: ignore[arg-type]
        assert read.last_error == "http_5xx"

    def test_connects_to_the_checked_address_keeping_the_host(
        self, webhook_receiver: WebhookReceiver
    ) -> None:
        calls: list[str] = []

        def resolve(host: str, port: int) -> list[str]:
            calls.append(host)
            return [LOOPBACK]

        client = delivery.new_client(5, allow_private=True, resolve=resolve)
        url = f"http://hooks.tienda.example:{webhook_receiver.port}/hooks"
        with client:
            outcome = delivery.deliver(
                client, url=url, secret="whsec_" + "A" * 32, message_id="msg_1", payload={}
            )
        # The name resolves nowhere on this machine: only the vetted address was connected to.
        assert outcome.ok, outcome
        assert calls == ["hooks.tienda.example"]
        (request,) = webhook_receiver.requests
        assert request.headers["host"] == f"hooks.tienda.example:{webhook_receiver.port}"

    def test_tls_checks_the_certificate_and_sni_against_the_name(
        self, tls_receiver: tuple[int, ssl.SSLContext, list[str]]
    ) -> None:
        port, trust, names = tls_receiver

        def resolve(host: str, port: int) -> list[str]:
            return [LOOPBACK]

        transport = targets.GuardedTransport(allow_private=True, resolve=resolve, verify=trust)
        with httpx.Client(transport=transport) as client:
            response = client.post(f"https://hooks.tienda.example:{port}/hooks", content=b"{}")
        assert response.status_code == 200
        assert names == ["hooks.tienda.example"]

    @pytest.mark.parametrize(
        ("make_url", "expected"),
        [
            (lambda port: f"http://127.0.0.1:{free_port()}/h", "connection_refused"),
            (lambda port: f"https://127.0.0.1:{port}/h", "tls_error"),  # TLS to plain HTTP
            (lambda port: "http://does-not-resolve.invalid/h", "dns_error"),
        ],
    )
    def test_failures_are_classified(
        self, webhook_receiver: WebhookReceiver, make_url: Any, expected: str
    ) -> None:
        with delivery.new_client(5, allow_private=True) as client:
            outcome = delivery.deliver(
                client,
                url=make_url(webhook_receiver.port),
                secret="whsec_" + "A" * 32,
                message_id="msg_1",
                payload={},
            )
        assert (outcome.ok, outcome.status_code, outcome.error) == (False, None, expected)

    def test_a_silent_server_is_a_timeout(self) -> None:
        with socket.socket() as listener:
            listener.bind((LOOPBACK, 0))
            listener.listen(1)  # accepts the connection, never answers
            port = listener.getsockname()[1]
            with delivery.new_client(0.3, allow_private=True) as client:
                outcome = delivery.deliver(
                    client,
                    url=f"http://{LOOPBACK}:{port}/h",
                    secret="whsec_" + "A" * 32,
                    message_id="msg_1",
                    payload={},
                )
        assert outcome.error == "timeout"


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """An HTTPS server on loopback with a certificate for hooks.tienda.example only."""
    cert, key = _self_signed(tmp_path, "hooks.tienda.example")
    names: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,func-returns-value]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield int(server.server_address[1]), ssl.create_default_context(cafile=str(cert)), names
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
