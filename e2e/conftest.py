"""End-to-end fixtures: a live server (uvicorn subprocess), real SMTP, real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import backend, database_urls, db_url  # noqa: F401  (shared fixtures)
from tests.servers import app_server, smtp_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = os.environ.get("VENTANILLA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def live_server_env(db_url: str, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    """Environment of the live server; tests add SMTP settings before starting it."""
    return {
        "VENTANILLA_ENV": "test",
        "VENTANILLA_DATABASE_URL": db_url,
        "VENTANILLA_VAR_DIR": str(tmp_path / "var"),
        "VENTANILLA_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
        "VENTANILLA_LINK_SECRET": "e2e-link-secret-0123456789abcdef",
        "VENTANILLA_RUN_WORKER_IN_PROCESS": "true",
        "VENTANILLA_WORKER_POLL_SECONDS": "0.2",
    }


@pytest.fixture
def start_server(live_server_env: dict[str, str], tmp_path: Path) -> Iterator[object]:
    """Call it to start the server (after adding settings); it is stopped when the test ends
    (`tests.servers.app_server`: uvicorn on a free loopback port)."""
    with ExitStack() as stack:
        started = iter(range(1000))

        def start(**extra_env: str) -> LiveServer:
            env = {**live_server_env, **extra_env}
            log = tmp_path / f"server-{next(started)}.log"
            server = stack.enter_context(app_server(env, log=log))
            return LiveServer(url=server.url, env=env, process=server.process, log=log)

        yield start


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact (e2e/artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def run_axe(page: Page) -> list[dict[str, object]]:
    """axe-core (from npm, installed by `make frontend`): serious or critical violations."""
    axe = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
    # evaluate() runs through DevTools, so the page's strict CSP needs no exception for axe.
    page.evaluate(axe.read_text())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a','wcag2aa','wcag21aa','wcag22aa']})"
    )
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
