"""docs/store-api.md works as written: its shell blocks run in order against a live server.

Every ```sh block of the guide runs, in order, in one bash session (as a developer pasting them
into a terminal would), with VENTANILLA_URL pointing at a live server on a fresh database and
WEBHOOK_URL at the guide's own webhook receiver (its ```python block), started here on loopback.
A block's `# expect: NNN` lines are the HTTP statuses it must print (`HTTP NNN`, from curl's
`-w`); the ```json block right after it is the trimmed body it must answer: every key shown must
be there with that value, `"..."` stands for any value and a string ending in `...` for any
string starting with what comes before. The guide creates its own API keys and data.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

GUIDE = ROOT / "docs" / "store-api.md"
GUIDE_URL = "http://127.0.0.1:8000"  # the default the guide shows; the live server's URL here
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
EXPECT = re.compile(r"^# expect: (\d{3})[ \t]*$", re.MULTILINE)
STATUS = re.compile(r"^HTTP (\d{3})$", re.MULTILINE)
ANY = "..."
BLOCK_TIMEOUT = 120.0


@dataclass(frozen=True)
class Step:
    number: int  # 1-based position among the guide's sh blocks
    script: str
    statuses: list[str]
    body: str | None  # the trimmed expected body (a json block right after), if any


def guide_steps(text: str) -> list[Step]:
    """The sh blocks in order, each with its expected statuses and body."""
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    steps: list[Step] = []
    for index, (language, code) in enumerate(blocks):
        if language != "sh":
            continue
        statuses = EXPECT.findall(code)
        follower = blocks[index + 1] if index + 1 < len(blocks) else None
        body = follower[1] if statuses and follower and follower[0] == "json" else None
        steps.append(Step(len(steps) + 1, code, statuses, body))
    return steps


def guide_python(text: str) -> str:
    """The guide's one python block: the shop-side webhook receiver."""
    blocks = [m.group(2) for m in FENCE.finditer(text) if m.group(1) == "python"]
    assert len(blocks) == 1, "the guide should have exactly one python block (the receiver)"
    return blocks[0]


def mismatches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` differs from the trimmed `expected` (an empty list when it agrees)."""
    if expected == ANY:
        return []
    if isinstance(expected, str) and expected.endswith(ANY):
        prefix = expected[: -len(ANY)]
        if isinstance(actual, str) and actual.startswith(prefix):
            return []
        return [f"{where}: expected a string starting with {prefix!r}, got {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found += mismatches(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{where}: expected at least {len(expected)} items, got {actual!r}"]
        found = []
        for i, value in enumerate(expected):
            found += mismatches(value, actual[i], f"{where}[{i}]")
        return found
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


class Shell:
    """One bash session; each block is sourced in it, so variables and functions carry over."""

    SENTINEL = "@@ventanilla-guide-block-done@@"

    def __init__(self, *, env: dict[str, str], cwd: Path, workdir: Path) -> None:
        self.workdir = workdir
        self.stderr_path = workdir / "shell-stderr.log"
        self._stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def run(self, step: Step) -> tuple[str, int]:
        """Run a block (stdin from /dev/null); its stdout and its last command's exit status."""
        path = self.workdir / f"block-{step.number:02d}.sh"
        path.write_text(step.script)
        assert self.process.stdin is not None
        self.process.stdin.write(
            f"source {path} < /dev/null\nprintf '\\n%s %s\\n' {self.SENTINEL} \"$?\"\n"
        )
        self.process.stdin.flush()
        out: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=BLOCK_TIMEOUT)
            except queue.Empty:
                raise AssertionError(
                    f"block {step.number} did not finish:\n{step.script}"
                ) from None
            if line is None:
                raise AssertionError(f"bash exited during block {step.number}:\n{step.script}")
            if line.startswith(self.SENTINEL):
                return "".join(out), int(line.split()[1])
            out.append(line)

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()[-3000:]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


@pytest.fixture
def guide_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, Any]]]:
    """The guide's webhook receiver on a loopback port: (its URL, the module namespace)."""
    # It reads the secret from the environment at each request; the test sets it once known.
    monkeypatch.setenv("VENTANILLA_WEBHOOK_SECRET", "whsec_bm90LXlldC1yZWdpc3RlcmVk")
    namespace: dict[str, Any] = {"__name__": "store_api_guide_receiver"}
    exec(compile(guide_python(GUIDE.read_text()), f"{GUIDE}:python", "exec"), namespace)
    server = HTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", namespace
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_guide_steps_are_found() -> None:
    steps = guide_steps(GUIDE.read_text())
    checked = [s for s in steps if s.statuses]
    assert len(checked) >= 25
    assert all(s.body is not None for s in checked), "every checked block shows its answer"
    assert all("VENTANILLA_URL" in s.script for s in checked)


def test_store_api_guide_runs_as_written(
    start_server,  # type: ignore[no-untyped-def]
    guide_receiver: tuple[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server = start_server()
    webhook_url, receiver = guide_receiver
    env = {
        **server.env,
        "VENTANILLA_URL": server.url,
        "WEBHOOK_URL": webhook_url,
    }
    for name in ("VENTANILLA_API_KEY", "WAREHOUSE_API_KEY", "VENTANILLA_WEBHOOK_SECRET"):
        env.pop(name, None)
    workdir = tmp_path / "shell"
    workdir.mkdir()
    shell = Shell(env=env, cwd=ROOT, workdir=workdir)
    ping_id: str | None = None
    try:
        for step in guide_steps(GUIDE.read_text()):
            output, exit_status = shell.run(step)
            context = (
                f"block {step.number}:\n{step.script}\n--- output:\n{output}\n"
                f"--- stderr:\n{shell.stderr()}"
            )
            assert exit_status == 0, context
            assert STATUS.findall(output) == step.statuses, context
            if step.body is None:
                continue
            answer = json.loads(output[: STATUS.search(output).start()])  # type: ignore[union-attr]
            expected = json.loads(step.body.replace(GUIDE_URL, server.url))
            assert mismatches(expected, answer) == [], context
            if isinstance(answer, dict) and "secret" in answer:
                # The developer starts the receiver with the secret from this answer.
                monkeypatch.setenv("VENTANILLA_WEBHOOK_SECRET", answer["secret"])
            if isinstance(answer, dict) and answer.get("event_type") == "ping":
                ping_id = answer["id"]
    finally:
        shell.close()
    # The ping passed the receiver's signature check (else it answers 400), exactly once.
    assert ping_id is not None
    assert receiver["handled_ids"] == {ping_id}
