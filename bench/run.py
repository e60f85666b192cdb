"""Speed and memory figures for the shopper pages and the store API (not part of the test run).

    make bench                                  # SQLite, 20 000 orders, 1 worker
    .venv/bin/python bench/run.py --orders 100000 --workers 2 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test   # a fresh DB beside it

It builds a database with N orders (bulk inserts, not the API: the point is the size), starts
`uvicorn` on a free loopback port, drives each scenario with T client threads for D seconds and
prints requests/s, latency percentiles and the server's resident memory. The load generator runs on
the same 2 cores as the server, so compare figures between runs on one machine, not with others.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dbutil import create_postgres_database, drop_postgres_database  # noqa: E402
from ventanilla import migrations  # noqa: E402
from ventanilla.core.models import metadata  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, orders: int) -> tuple[str, list[str], str]:
    """Bulk-insert the shop; returns (a customer's email, their order numbers, a product sku)."""
    tables = metadata().tables
    engine = create_engine(url)
    rng = random.Random(1)
    now = datetime.now(UTC)
    n_customers = max(orders // 3, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(tables["products"]),
            [
                {
                    "id": i,
                    "sku": f"B-{i:03d}",
                    "name": f"Juguete {i}",
                    "price_minor": 500 + i * 37,
                    "currency": "EUR",
                    "stock_on_hand": 100,
                    "returnable": True,
                    "final_sale": False,
                    "image_url": None,
                    "created_at": now,
                }
                for i in range(1, 51)
            ],
        )
        conn.execute(
            insert(tables["customers"]),
            [
                {
                    "id": i,
                    "email": f"c{i}@example.com",
                    "name": f"Cliente {i}",
                    "phone": None,
                    "locale": "es",
                    "created_at": now,
                }
                for i in range(1, n_customers + 1)
            ],
        )
        batch = 5000
        for start in range(0, orders, batch):
            ids = range(start + 1, min(start + batch, orders) + 1)
            order_rows, line_rows, address_rows, activity_rows = [], [], [], []
            for oid in ids:
                placed = now - timedelta(hours=rng.randint(1, 2000))
                lines = [rng.randint(1, 50) for _ in range(3)]
                total = sum(500 + p * 37 for p in lines)
                order_rows.append(
                    {
                        "id": oid,
                        "number": f"B-{oid:07d}",
                        "customer_id": (oid % n_customers) + 1,
                        "status": rng.choice(["paid", "processing", "shipped", "delivered"]),
                        "version": 1,
                        "currency": "EUR",
                        "subtotal_minor": total,
                        "shipping_minor": 0,
                        "discount_minor": 0,
                        "tax_minor": total - (total * 200 + 121) // 242,
                        "total_minor": total,
                        "locale": "es",
                        "placed_at": placed,
                        "status_at": placed,
                        "content_hash": "bench",
                        "created_at": now,
                    }
                )
                for no, pid in enumerate(lines, start=1):
                    price = 500 + pid * 37
                    line_rows.append(
                        {
                            "order_id": oid,
                            "line_no": no,
                            "product_id": pid,
                            "sku": f"B-{pid:03d}",
                            "name": f"Juguete {pid}",
                            "unit_price_minor": price,
                            "quantity": 1,
                            "tax_rate_bp": 2100,
                            "total_minor": price,
                        }
                    )
                address_rows.append(
                    {
                        "order_id": oid,
                        "kind": "shipping",
                        "name": "Cliente",
                        "line1": "Calle Mayor 1",
                        "postcode": "28013",
                        "city": "Madrid",
                        "region": "Madrid",
                        "country": "ES",
                    }
                )
                for step, kind in enumerate(["order.created", "order.status_changed"]):
                    activity_rows.append(
                        {
                            "order_id": oid,
                            "customer_id": (oid % n_customers) + 1,
                            "actor_type": "store",
                            "actor_id": "bench",
                            "kind": kind,
                            "occurred_at": placed + timedelta(hours=step),
                            "data": {"to": "paid"},
                            "created_at": now,
                        }
                    )
            conn.execute(insert(tables["orders"]), order_rows)
            conn.execute(insert(tables["order_lines"]), line_rows)
            conn.execute(insert(tables["order_addresses"]), address_rows)
            conn.execute(insert(tables["activity"]), activity_rows)
        if engine.dialect.name == "postgresql":
            for table in ("products", "customers", "orders"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    engine.dispose()
    customer = 2
    numbers = [
        f"B-{oid:07d}" for oid in range(1, orders + 1) if (oid % n_customers) + 1 == customer
    ]
    return f"c{customer}@example.com", numbers, "B-001"


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


def rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    result = [int(c) for c in found]
    for c in list(result):
        result += children(c)
    return result


def drive(
    name: str,
    make_request: Callable[[httpx.Client, int], httpx.Response],
    *,
    base_url: str,
    threads: int,
    seconds: float,
    headers: dict[str, str],
    cookies: dict[str, str],
) -> dict[str, float | str]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        local: list[float] = []
        local_errors = 0
        i = 0
        with httpx.Client(base_url=base_url, headers=headers, cookies=cookies, timeout=30) as c:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                response = make_request(c, index * 1_000_000 + i)
                local.append(time.perf_counter() - start)
                if response.status_code >= 400:
                    local_errors += 1
                i += 1
        with lock:
            latencies.extend(local)
            errors += local_errors

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(int(len(latencies) * p), len(latencies) - 1)] * 1000

    return {
        "scenario": name,
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (a fresh DB is made)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ventanilla-bench-"))
    pg_base = None
    if args.database_url:
        pg_base = make_url(args.database_url).render_as_string(hide_password=False)
        url = create_postgres_database(pg_base)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    try:
        migrations.upgrade(url)
        t0 = time.perf_counter()
        email, numbers, sku = seed(url, args.orders)
        print(
            f"seeded {args.orders} orders on {make_url(url).get_backend_name()} "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "VENTANILLA_ENV": "test",
            "VENTANILLA_DATABASE_URL": url,
            "VENTANILLA_VAR_DIR": str(tmp / "var"),
            "VENTANILLA_BASE_URL": base,
            "VENTANILLA_SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "VENTANILLA_LINK_SECRET": "bench-" + uuid.uuid4().hex,
            "VENTANILLA_RUN_WORKER_IN_PROCESS": "false",
        }
        token, key = session_cookie_and_key(env, email)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ventanilla.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            idle_rss = rss_mb(server.pid)
            cookies = {"ventanilla_session": token}
            auth = {"Authorization": f"Bearer {key}"}
            product = {
                "name": "Juguete 1",
                "price_minor": 537,
                "currency": "EUR",
                "stock_on_hand": 100,
            }
            placed = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

            def new_order(c: httpx.Client, i: int) -> httpx.Response:
                body = {
                    "customer": {"email": f"n{i}@example.com", "name": "Nuevo"},
                    "shipping_address": {
                        "name": "Nuevo",
                        "line1": "Calle 1",
                        "postcode": "28013",
                        "city": "Madrid",
                        "country": "ES",
                    },
                    "lines": [
                        {
                            "sku": sku,
                            "name": "Juguete 1",
                            "unit_price_minor": 537,
                            "quantity": 1,
                            "tax_rate": "21",
                        }
                    ],
                    "totals": {"subtotal_minor": 537, "total_minor": 537},
                    "currency": "EUR",
                    "placed_at": placed,
                    "status": "paid",
                }
                return c.put(f"/api/v1/orders/N-{uuid.uuid4().hex[:12]}", json=body)

            scenarios: list[
                tuple[str, Callable[[httpx.Client, int], httpx.Response], dict, dict]
            ] = [
                ("healthz", lambda c, i: c.get("/healthz"), {}, {}),
                (
                    "order page (shopper)",
                    lambda c, i: c.get(f"/orders/{numbers[i % len(numbers)]}"),
                    {},
                    cookies,
                ),
                ("orders list (shopper)", lambda c, i: c.get("/orders"), {}, cookies),
                (
                    "product push, unchanged (API)",
                    lambda c, i: c.put(f"/api/v1/products/{sku}", json=product),
                    auth,
                    {},
                ),
                ("order push, new (API)", new_order, auth, {}),
            ]
            rows = [
                drive(
                    name,
                    fn,
                    base_url=base,
                    threads=args.threads,
                    seconds=args.seconds,
                    headers=h,
                    cookies=ck,
                )
                for name, fn, h, ck in scenarios
            ]
            busy_rss = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
        print(
            f"\n{args.orders} orders, {args.workers} worker(s), {args.threads} client threads, "
            f"{args.seconds:.0f}s per scenario, {make_url(url).get_backend_name()}"
        )
        print(
            f"{'scenario':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
        for r in rows:
            print(
                f"{r['scenario']:34} {r['rps']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} "
                f"{r['p99']:8.1f} {r['errors']:7d}"
            )
        print(
            f"server memory (RSS, all processes): {idle_rss:.0f} MB idle, "
            f"{busy_rss:.0f} MB after the load"
        )
    finally:
        if pg_base:
            drop_postgres_database(pg_base, url)


if __name__ == "__main__":
    main()
