"""How the worker runs: `ventanilla worker [--once]`, SIGTERM, and inside `serve` in demo mode."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.outbox.helpers import message
from tests.servers import SMTPServer, wait_for
from ventanilla import worker
from ventanilla.app import create_app
from ventanilla.cli import app as cli
from ventanilla.config import ROOT, Settings
from ventanilla.db import session_scope
from ventanilla.outbox import service


def queue_email(to: str = "ana@example.com") -> str:
    with session_scope() as session:
        return service.enqueue_email(session, to=to, subject="Hola", text="Hola").id


class TestCommand:
    def test_worker_once_sends_what_is_due_and_exits(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        message_id = queue_email()
        result = CliRunner().invoke(cli, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "processed 1 message(s)" in result.output
        assert message(message_id).status == "sent"
        assert len(smtp.messages) == 1

    def test_worker_stops_cleanly_on_sigterm(
        self, smtp: SMTPServer, settings: Settings, tmp_path: Path
    ) -> None:
        message_id = queue_email()
        log = tmp_path / "worker.log"
        env = {
            **os.environ,
            "VENTANILLA_ENV": "test",
            "VENTANILLA_DATABASE_URL": settings.database_url,
            "VENTANILLA_VAR_DIR": str(tmp_path / "var"),
            "VENTANILLA_SECRET_KEY": "worker-secret-key-0123456789abcdef",
            "VENTANILLA_LINK_SECRET": "worker-link-secret-0123456789abcdef",
            "VENTANILLA_SMTP_HOST": smtp.host,
            "VENTANILLA_SMTP_PORT": str(smtp.port),
            "VENTANILLA_WORKER_POLL_SECONDS": "0.1",
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "ventanilla.cli", "worker"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(lambda: len(smtp.messages) == 1, timeout=30, what="the worker to send")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert "outbox worker stopped" in log.read_text()
        assert message(message_id).status == "sent"


class TestInProcess:
    def test_background_worker_sends_and_stops(self, configure: Callable[..., Settings]) -> None:
        settings = configure(worker_poll_seconds=0.05)
        message_id = queue_email()
        runner = worker.start_in_background()
        try:
            wait_for(lambda: message(message_id).status == "sent", what="the background worker")
        finally:
            runner.stop()
        assert not runner.running
        assert (settings.var_dir / "mail" / f"{message_id}.eml").exists()

    def test_demo_mode_runs_the_worker_inside_the_app(
        self, configure: Callable[..., Settings]
    ) -> None:
        settings = configure(run_worker_in_process=True, worker_poll_seconds=0.05)
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
            message_id = queue_email()
            wait_for(lambda: message(message_id).status == "sent", what="the in-app worker")
        assert (settings.var_dir / "mail" / f"{message_id}.eml").exists()
