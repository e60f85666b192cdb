"""Benchmark data: N orders (3 lines, an address and 2 activity rows each), built in bulk and kept.

SQLite: one file per size under var/bench/, filled with `executemany` in one transaction.
PostgreSQL: one database per size (`ventanilla_bench_<N>`), filled with COPY. Either is reused
by the next run of the same size while its schema is the current migration head (recorded in a
`bench_meta` table); otherwise it is rebuilt.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ventanilla import migrations

BATCH = 20_000
GENERATOR = "2"  # bump when the rows below change: cached data is rebuilt


def customer_count(orders: int) -> int:
    return max(orders // 3, 1)


def shopper(orders: int) -> tuple[str, list[str]]:
    """The benchmark's shopper (customer 2): their email and order numbers."""
    n = customer_count(orders)
    numbers = [f"B-{oid:07d}" for oid in range(1, orders + 1) if (oid % n) + 1 == 2]
    return "c2@example.com", numbers


def _head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(migrations.alembic_config()).get_current_head())


def _rows(orders: int, now: datetime) -> Iterator[dict[str, list[dict[str, Any]]]]:
    rng = random.Random(1)
    n_customers = customer_count(orders)
    yield {
        "products": [
            {
                "id": i,
                "sku": f"B-{i:03d}",
                "name": f"Juguete {i}",
                "price_minor": 500 + i * 37,
                "currency": "EUR",
                "stock_on_hand": 100,
                "returnable": True,
                "final_sale": False,
                "created_at": now,
            }
            for i in range(1, 51)
        ]
    }
    for start in range(1, n_customers + 1, BATCH):
        yield {
            "customers": [
                {
                    "id": i,
                    "email": f"c{i}@example.com",
                    "name": f"Cliente {i}",
                    "locale": "es",
                    "created_at": now,
                }
                for i in range(start, min(start + BATCH, n_customers + 1))
            ]
        }
    for start in range(1, orders + 1, BATCH):
        batch: dict[str, list[dict[str, Any]]] = {
            "orders": [],
            "order_lines": [],
            "order_addresses": [],
            "activity": [],
        }
        for oid in range(start, min(start + BATCH, orders + 1)):
            placed = now - timedelta(hours=rng.randint(1, 2000))
            products = [rng.randint(1, 50) for _ in range(3)]
            total = sum(500 + p * 37 for p in products)
            customer = (oid % n_customers) + 1
            batch["orders"].append(
                {
                    "id": oid,
                    "number": f"B-{oid:07d}",
                    "customer_id": customer,
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
            for no, pid in enumerate(products, start=1):
                price = 500 + pid * 37
                batch["order_lines"].append(
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
            batch["order_addresses"].append(
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
                batch["activity"].append(
                    {
                        "order_id": oid,
                        "customer_id": customer,
                        "actor_type": "store",
                        "actor_id": "bench",
                        "kind": kind,
                        "occurred_at": placed + timedelta(hours=step),
                        "data": {"to": "paid"},
                        "created_at": now,
                    }
                )
        yield batch


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # what UTCDateTime stores on SQLite: naive UTC
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _fill_sqlite(path: Path, orders: int, now: datetime) -> None:
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for batch in _rows(orders, now):
        for table, rows in batch.items():
            cols = list(rows[0])
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.executemany(sql, [tuple(_sqlite_value(r[c]) for c in cols) for r in rows])
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _fill_postgres(url: str, orders: int, now: datetime) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for batch in _rows(orders, now):
            for table, rows in batch.items():
                cols = list(rows[0])
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(
                            [json.dumps(v) if isinstance(v, dict) else v for v in r.values()]
                        )
        for table in ("products", "customers", "orders", "order_lines", "activity"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _marker(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT value FROM bench_meta WHERE key = 'built'")).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def _mark(url: str, value: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT, value TEXT)"))
        conn.execute(text("DELETE FROM bench_meta"))
        conn.execute(text("INSERT INTO bench_meta VALUES ('built', :v)"), {"v": value})
    engine.dispose()


def ensure(kind: str, orders: int, *, var: Path, pg_base: str) -> str:
    """The URL of a database holding `orders` orders (built now, or kept from an earlier run)."""
    wanted = f"{orders}:{GENERATOR}:{_head()}"
    if kind == "sqlite":
        var.mkdir(parents=True, exist_ok=True)
        path = var / f"sqlite-{orders}.db"
        url = f"sqlite:///{path}"
        if path.exists() and _marker(url) == wanted:
            return url
        for stale in var.glob(f"sqlite-{orders}.db*"):
            stale.unlink()
    else:
        name = f"ventanilla_bench_{orders}"
        url = make_url(pg_base).set(database=name).render_as_string(hide_password=False)
        if _marker(url) == wanted:
            return url
        admin = create_engine(pg_base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    t0 = time.perf_counter()
    migrations.upgrade(url)
    now = datetime.now(UTC)
    if kind == "sqlite":
        _fill_sqlite(Path(make_url(url).database or ""), orders, now)
    else:
        _fill_postgres(url, orders, now)
    _mark(url, wanted)
    print(f"built {orders} orders on {kind} in {time.perf_counter() - t0:.1f}s (kept for reuse)")
    return url
