"""Speed of the shopper pages and the store API against bare endpoints, side by side in one run.

    make bench                                   # 10 000 orders, 5 s per scenario, both DBs
    .venv/bin/python bench/run.py --orders 1000000 --seconds 10
    .venv/bin/python bench/run.py --databases sqlite --repeat 3

For each database (SQLite with 1 worker, PostgreSQL with 2) it takes N orders (built in bulk and
kept under var/bench/ or in `ventanilla_bench_<N>`: see bench/data.py), starts the portal under
uvicorn AND the bare reference app (bench/bare.py: one indexed query and a small Jinja2 page; a
constant JSON) with the same number of workers on the same data, and drives each with Debian's
`wrk` (C, event-driven: not the bottleneck; `make bench` installs it). It prints requests/s, p50
and p99, the ratios against the bare endpoints (median over `--repeat` rounds), and the server's
CPU time per request (read from /proc: what a request costs, whatever else runs on the machine).
The client shares the machine's cores with the servers, so compare ratios from one run, not
absolute figures between machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import data  # noqa: E402
from ventanilla.access.policy import session_cookie_name  # noqa: E402

WORKERS = {"sqlite": 1, "postgresql": 2}
BARE_HTML = "bare HTML (1 query + Jinja2)"
BARE_JSON = "bare JSON (constant)"
PUSH = "store API order push"
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "us": %d, "p50": %d, "p99": %d, ' ..
    '"status": %d, "timeout": %d, "socket": %d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.timeout,
    e.connect + e.read + e.write))
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    compare: str | None = None
    low: float = 0.0  # the worst round's req/s (the spread, with --repeat)
    ratio: float = 0.0  # median over rounds of req/s / the bare endpoint's
    p99_ratio: float = 0.0
    cpu_us: float = 0.0  # the server's CPU time per request (neighbours barely change it)
    cpu_ratio: float = 0.0  # the bare endpoint's CPU per request / this one's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_script(paths: list[str], cookie: str | None) -> str:
    header = f'wrk.headers["Cookie"] = "{cookie}"\n' if cookie else ""
    listed = ", ".join(f'"{p}"' for p in paths)
    return (
        header
        + f"local paths = {{{listed}}}\nlocal i = 0\n"
        + "request = function()\n  i = i + 1\n"
        + '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
        + DONE
    )


def push_script(api_key: str, sku: str) -> str:
    """New orders, each with its own number and customer (unique per run, thread and request)."""
    placed = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    run = uuid.uuid4().hex[:8]
    body = (
        '{"customer": {"email": "pNUMBER@example.com", "name": "Nuevo"}, '
        '"shipping_address": {"name": "Nuevo", "line1": "Calle 1", "postcode": "28013", '
        '"city": "Madrid", "country": "ES"}, '
        f'"lines": [{{"sku": "{sku}", "name": "Juguete 1", "unit_price_minor": 537, '
        '"quantity": 1, "tax_rate": "21"}], '
        '"totals": {"subtotal_minor": 537, "total_minor": 537}, "currency": "EUR", '
        f'"placed_at": "{placed}", "status": "paid"}}'
    )
    lua_body = "'" + body.replace("NUMBER", "' .. n .. '") + "'"
    return (
        "local made = 0\n"
        "function setup(thread)\n  made = made + 1\n  thread:set('tid', made)\nend\n"
        "local count = 0\n"
        f'wrk.headers["Authorization"] = "Bearer {api_key}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  count = count + 1\n"
        f"  local n = '{run}-' .. tid .. '-' .. count\n"
        f"  local body = {lua_body}\n"
        '  return wrk.format("PUT", "/api/v1/orders/W-" .. n, nil, body)\nend\n' + DONE
    )


def wrk(base: str, script: str, *, seconds: float, args: argparse.Namespace) -> dict[str, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{max(seconds, 1):.0f}s",
                "--timeout",
                "10s",
                "-s",
                fh.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(fh.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return dict(json.loads(line.removeprefix("BENCH ")))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a server: its process and every worker under it."""
    total = 0.0
    for each in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return found + [grandchild for c in found for grandchild in children(c)]


SERVERS: dict[str, int] = {}  # base URL -> server pid


def once(name: str, base: str, script: str, args: argparse.Namespace) -> Result:
    pid = SERVERS[base]
    before = cpu_seconds(pid)
    raw = wrk(base, script, seconds=args.seconds, args=args)
    used = cpu_seconds(pid) - before
    rps = raw["requests"] / (raw["us"] / 1e6)
    errors = raw["status"] + raw["timeout"] + raw["socket"]
    result = Result(name, rps, raw["p50"] / 1000, raw["p99"] / 1000, errors)
    result.cpu_us = used / raw["requests"] * 1e6 if raw["requests"] else 0.0
    return result


def rounds(plan: list[tuple[str, str, str, str | None]], args: argparse.Namespace) -> list[Result]:
    """Every scenario once per round, rounds one after the other: an endpoint and its bare
    reference run a few seconds apart, so a busy neighbour slows both. The ratio shown is the
    median of the rounds' ratios; req/s and latencies are the best round's."""
    for _name, target, script, _compare in plan:
        wrk(target, script, seconds=1, args=args)  # warm: every worker builds its caches
    runs: dict[str, list[Result]] = {name: [] for name, *_ in plan}
    for _ in range(args.repeat):
        for name, target, script, _compare in plan:
            runs[name].append(once(name, target, script, args))
    results = []
    for name, _target, _script, compare in plan:
        best = max(runs[name], key=lambda r: r.rps)
        best.low = min(r.rps for r in runs[name])
        best.compare = compare
        if compare:
            pairs = list(zip(runs[name], runs[compare], strict=True))
            best.ratio = statistics.median(r.rps / c.rps if c.rps else 0.0 for r, c in pairs)
            best.p99_ratio = statistics.median(
                r.p99_ms / c.p99_ms if c.p99_ms else 0.0 for r, c in pairs
            )
            best.cpu_ratio = statistics.median(
                c.cpu_us / r.cpu_us if r.cpu_us else 0.0 for r, c in pairs
            )
        best.cpu_us = statistics.median(r.cpu_us for r in runs[name])
        results.append(best)
    return results


def start(
    cmd: list[str], env: dict[str, str], health: str, log: Path
) -> subprocess.Popen[bytes]:
    """Start a server (its output goes to `log`) and wait until `health` answers 200."""
    with log.open("ab") as out:
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"server did not answer {health}")


def uvicorn(app: str, port: int, workers: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        *extra,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def session_cookie_and_key(env: dict[str, str], email: str) -> tuple[str, str]:
    """A shopper session and an API key, made by the app's own services in that database."""
    code = (
        "from ventanilla.db import session_scope\n"
        "from ventanilla.access import service as a\n"
        "from ventanilla.apikeys import service as k\n"
        "from ventanilla.customers import service as c\n"
        "with session_scope() as s:\n"
        f"    cust = c.find_by_email(s, email={email!r})\n"
        "    print(a.start_session(s, customer_id=cust.id))\n"
        "    print(k.create_key(s, name='bench').key)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    token, key = out.stdout.split()
    return token, key


def run_database(kind: str, args: argparse.Namespace) -> list[Result]:
    url = data.ensure(kind, args.orders, var=ROOT / "var" / "bench", pg_base=args.pg_url)
    email, numbers = data.shopper(args.orders)
    workers = WORKERS[kind]
    port, bare_port = free_port(), free_port()
    base, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    tmp = Path(tempfile.mkdtemp(prefix="ventanilla-bench-"))
    env = {
        **os.environ,
        "VENTANILLA_ENV": "production",
        "VENTANILLA_DATABASE_URL": url,
        "VENTANILLA_VAR_DIR": str(tmp / "var"),
        "VENTANILLA_BASE_URL": base,
        "VENTANILLA_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "VENTANILLA_LINK_SECRET": "bench-" + uuid.uuid4().hex,
        "VENTANILLA_RUN_WORKER_IN_PROCESS": "false",
        # wrk is one shopper on 32 connections: keep admission control's per-client limits
        # (8 per session, 32 per key, 64 per IP) from turning the measurement into 429s.
        "VENTANILLA_LIMIT_PER_SESSION": "1000",
        "VENTANILLA_LIMIT_PER_API_KEY": "1000",
        "VENTANILLA_LIMIT_PER_IP": "1000",
        "BENCH_DATABASE_URL": url,
    }
    token, key = session_cookie_and_key(env, email)
    logs = ROOT / "var" / "bench" / f"server-{kind}.log"
    logs.parent.mkdir(parents=True, exist_ok=True)
    logs.unlink(missing_ok=True)
    app = start(uvicorn("ventanilla.app:create_app", port, workers), env, base + "/healthz", logs)
    ref = start(
        uvicorn("bare:create_app", bare_port, workers, "--app-dir", str(ROOT / "bench")),
        env,
        bare + "/bare/json",
        logs,
    )
    SERVERS.update({base: app.pid, bare: ref.pid})
    try:
        # Production cookies (__Host-, Secure): sent by hand, as a browser would over HTTPS.
        session_cookie = session_cookie_name(secure=True)
        first = httpx.get(f"{base}/orders", headers={"Cookie": f"{session_cookie}={token}"})
        if first.status_code != 200:
            raise RuntimeError(f"the shopper's session does not work: {first.status_code}")
        jar = {**dict(first.cookies), session_cookie: token}
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        pages = [f"/orders/{n}" for n in numbers]
        bare_pages = [f"/bare/orders/{n}" for n in numbers]
        html, constant = BARE_HTML, BARE_JSON
        plan = [
            (html, bare, get_script(bare_pages, None), None),
            (constant, bare, get_script(["/bare/json"], None), None),
            ("shopper order page", base, get_script(pages, cookie), html),
            ("shopper orders list", base, get_script(["/orders"], cookie), html),
            ("/healthz", base, get_script(["/healthz"], None), constant),
        ]
        results = rounds(plan, args)
        # Writes last, once the reads are measured: a server stuck under them (SQLite before
        # admission control) cannot spoil the other figures.
        pushes = [once(PUSH, base, push_script(key, "B-001"), args) for _ in range(args.repeat)]
        push = max(pushes, key=lambda r: r.rps)
        push.low = min(r.rps for r in pushes)
        return [*results, push]
    finally:
        for server in (app, ref):
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a server stuck under the load (SQLite pushes)
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def report(kind: str, results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\n{kind}, {WORKERS[kind]} worker(s), {args.orders} orders, wrk -t{args.threads} "
        f"-c{args.connections}, {args.seconds:.0f}s, {args.repeat} round(s)"
    )
    print(
        f"{'endpoint':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'× bare':>7} {'p99 × bare':>10} {'worst req/s':>11} {'CPU µs/req':>10} "
        f"{'CPU: bare/this':>14}"
    )
    for r in results:
        if r.rps == 0:
            print(f"{r.name:32} no answer within {args.seconds:.0f}s ({args.connections} clients)")
            continue
        ratio = f"{r.ratio:.2f}" if r.compare else ""
        p99 = f"{r.p99_ratio:.2f}" if r.compare else ""
        capacity = f"{r.cpu_ratio:.2f}" if r.compare else ""
        print(
            f"{r.name:32} {r.rps:8.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d} "
            f"{ratio:>7} {p99:>10} {r.low:11.0f} {r.cpu_us:10.0f} {capacity:>14}"
        )
    if any(r.errors for r in results):
        print(f"errors: non-2xx answers and timeouts (log: var/bench/server-{kind}.log)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all scenarios")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "VENTANILLA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server to keep the benchmark database on",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench` installs Debian's wrk")
    for kind in args.databases.split(","):
        report(kind, run_database(kind.strip(), args), args)


if __name__ == "__main__":
    main()
