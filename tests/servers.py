"""Real servers on loopback for tests and e2e: an SMTP server and a webhook receiver.

    with smtp_server() as smtp:          # aiosmtpd on 127.0.0.1:<free port>
        ... smtp.host, smtp.port, smtp.messages (parsed email.message.EmailMessage) ...
        smtp.stop(); ...; smtp.start()   # down and back up, on the same port

    with webhook_receiver() as hooks:    # http.server in a thread
        hooks.respond_with(500, 200)     # first request gets 500, then 200 from there on
        ... hooks.url, hooks.requests (method, path, headers, body) ...

The pytest fixtures `smtp` and `webhook_receiver` wrap them; every server is stopped when the
test ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "") -> None:
    """Poll until `condition()` holds (for servers in other threads or processes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Collector:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        if address.lower() in self.server.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.server.reply is not None:
            return self.server.reply
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        parsed = message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.server.lock:
            self.server.envelopes.append(
                Envelope(envelope.mail_from, list(envelope.rcpt_tos), parsed)
            )
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    host: str = LOOPBACK
    port: int = field(default_factory=free_port)
    envelopes: list[Envelope] = field(default_factory=list)
    # An SMTP reply to give instead of accepting (e.g. "451 4.3.0 try later"); None accepts.
    reply: str | None = None
    # Addresses (lower case) refused at RCPT TO with a permanent 550.
    refuse_recipients: set[str] = field(default_factory=set)
    # Offer SMTPUTF8 (RFC 6531) in EHLO, so addresses like josé@example.com can be sent.
    smtputf8: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [e.message for e in self.envelopes]

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Start (again) on the same port."""
        if self._controller is not None:
            return
        controller = Controller(
            _Collector(self), hostname=self.host, port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def clear(self) -> None:
        with self.lock:
            self.envelopes.clear()

    def settings(self) -> dict[str, Any]:
        """Settings overrides that point Ventanilla at this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_timeout_seconds": 5.0}


@contextmanager
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- Webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


class WebhookReceiver:
    """A loopback HTTP server that records every request and answers a chosen status."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.lock = threading.Lock()
        self._statuses: list[int] = []
        self.status = 200
        self.location: str | None = None  # sent with 3xx answers
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/hooks"

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses in turn, then keep the last one."""
        with self.lock:
            self._statuses = list(statuses[:-1])
            self.status = statuses[-1]

    def _next_status(self) -> int:
        with self.lock:
            return self._statuses.pop(0) if self._statuses else self.status

    def _record(self, request: ReceivedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver._record(
                    ReceivedRequest(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                status = receiver._next_status()
                payload = b'{"ok":true}' if 200 <= status < 300 else b'{"error":"nope"}'
                self.send_response(status)
                if 300 <= status < 400 and receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _handle  # noqa: N815
            do_GET = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output quiet

        server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


# --- pytest fixtures (registered by importing them into a conftest) ------------------------


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SMTPServer]:
    """A running SMTP server on loopback; see SMTPServer."""
    with smtp_server() as server:
        yield server


@pytest.fixture(name="webhook_receiver")
def webhook_receiver_fixture() -> Iterator[WebhookReceiver]:
    """A running webhook receiver on loopback; see WebhookReceiver."""
    with webhook_receiver() as receiver:
        yield receiver


# --- The app itself -------------------------------------------------------------------------


@dataclass
class AppServer:
    """Ventanilla under uvicorn in a subprocess on a loopback port (see app_server)."""

    url: str
    process: Any
    log: Any  # pathlib.Path of the server's output

    def output(self) -> str:
        return str(self.log.read_text(errors="replace"))


@contextmanager
def app_server(env: dict[str, str], *, log: Any, workers: int = 1) -> Iterator[AppServer]:
    """Start `uvicorn ventanilla.app:create_app` with `env` (VENTANILLA_* settings) on a free
    loopback port, wait until /healthz answers, and stop it (and its workers) afterwards."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = [sys.executable, "-m", "uvicorn", "ventanilla.app:create_app", "--factory"]
    command += ["--host", LOOPBACK, "--port", str(port), "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    full_env = {**os.environ, "VENTANILLA_BASE_URL": url, **env}
    root = Path(__file__).resolve().parents[1]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, env=full_env, cwd=root, stdout=out, stderr=subprocess.STDOUT
        )
    server = AppServer(url=url, process=process, log=log)
    try:
        deadline = time.monotonic() + 90  # a loaded CI machine can take a while to import
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {server.output()}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
