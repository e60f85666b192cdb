"""Measure the two overload cases of issue 9 against a real server (not part of the test run).

    .venv/bin/python -m tests.measure_load --db sqlite
    .venv/bin/python -m tests.measure_load --db postgresql      # needs VENTANILLA_TEST_DATABASE_URL
    .venv/bin/python -m tests.measure_load --db sqlite --code /tmp/old-checkout   # another version

1. The shop pushes new orders (`PUT /api/v1/orders/{new}`) from 32 connections for a few
   seconds: answers per second, p50/p99/max latency, statuses.
2. One shopper sends 50 writes at once on their own order (re-confirming its address): statuses,
   time to the last answer; meanwhile /healthz and another shopper are timed.

Every server and database it starts, it stops and drops. `--code` runs the server from another
checkout (its `backend/` first on PYTHONPATH) against the same data, for before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from tests import dbutil
from tests.factories import make_product, order_payload
from tests.servers import app_server
from ventanilla.access import policy as access_policy
from ventanilla.access import service as access_service
from ventanilla.apikeys import service as apikeys_service
from ventanilla.config import Settings, use_settings

# ruff: noqa: T201  (a command that prints its figures)
from ventanilla.core import clock
from ventanilla.customers import repository as customers_repository
from ventanilla.db import session_scope

LINES = [("LOAD-TREN", 2495, 1), ("LOAD-PEONZA", 500, 3)]
COOKIE = access_policy.session_cookie_name(False)
TIMEOUT = 40.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def healthz_until(url: str, stop: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await client.get("/healthz")
            except httpx.HTTPError:
                pass
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
    return latencies


async def store_pushes(url: str, key: str, seconds: float, connections: int) -> dict[str, Any]:
    statuses: Counter[int | str] = Counter()
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=connections)
    stop = asyncio.Event()
    health = asyncio.create_task(healthz_until(url, stop))
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                n = next(counter)
                body = order_payload(LINES, email=f"push{n % 500}@example.com")
                started = time.monotonic()
                try:
                    response = await client.put(
                        f"/api/v1/orders/W-{n:06d}", json=body, headers=headers
                    )
                    statuses[response.status_code] += 1
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1
                latencies.append(time.monotonic() - started)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    stop.set()
    health_latencies = await health
    ok = statuses[201] + statuses[200]
    return {
        "elapsed_s": round(elapsed, 2),
        "ok_per_s": round(ok / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "statuses": dict(statuses),
        "healthz_max_ms": round(max(health_latencies) * 1000, 1),
    }


async def shopper_flood(url: str, flooder: str, calm: str, version: int) -> dict[str, Any]:
    address = order_payload(LINES)["shipping_address"] | {"line1": "Calle Nueva 7"}
    limits = httpx.Limits(max_connections=100)
    stop = asyncio.Event()
    health = asyncio.create_task(healthz_until(url, stop))
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as client:

        async def one() -> tuple[int | str, float]:
            started = time.monotonic()
            try:
                response = await client.put(
                    "/api/v1/me/orders/F-0001/address",
                    json={"version": version, "address": address},
                    headers={"Cookie": f"{COOKIE}={flooder}", "Origin": url},
                )
                status: int | str = response.status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            return status, time.monotonic() - started

        async def other() -> float:
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await client.get(
                "/api/v1/me/orders/F-0002/address", headers={"Cookie": f"{COOKIE}={calm}"}
            )
            return time.monotonic() - started

        started = time.monotonic()
        results, other_latency = await asyncio.gather(
            asyncio.gather(*(one() for _ in range(50))), other()
        )
        elapsed = time.monotonic() - started
    stop.set()
    health_latencies = await health
    return {
        "last_answer_s": round(elapsed, 2),
        "statuses": dict(Counter(status for status, _ in results)),
        "p50_ms": round(statistics.median(t for _, t in results) * 1000, 1),
        "other_shopper_ms": round(other_latency * 1000, 1),
        "healthz_max_ms": round(max(health_latencies) * 1000, 1),
    }


def prepare(url: str, var_dir: Path) -> tuple[str, Settings]:
    settings = Settings(
        env="test",
        database_url=url,
        var_dir=var_dir,
        secret_key=SecretStr("measure-secret-key-0123456789abcdef"),
        link_secret=SecretStr("measure-link-secret-0123456789abcdef"),
        run_worker_in_process=False,
    )
    use_settings(settings)
    with session_scope() as s:
        for sku, price, _ in LINES:
            make_product(s, sku=sku, price_minor=price, stock_on_hand=10**7)
        key = apikeys_service.create_key(s, name="Carga").key
    return key, settings


def shopper(email: str) -> str:
    with session_scope() as s:
        customer = customers_repository.by_email(s, email)
        assert customer is not None and customer.id is not None
        return access_service.start_session(
            s, customer_id=customer.id, verified_at=clock.now() - timedelta(minutes=1)
        )


def run(db: str, code: Path | None, seconds: float, extra_env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="ventanilla-measure-") as tmp:
        base = dbutil.postgres_base_url() if db == "postgresql" else None
        if db == "postgresql" and not base:
            raise SystemExit(f"set {dbutil.PG_ENV}")
        url = dbutil.create_postgres_database(base) if base else f"sqlite:///{tmp}/measure.db"
        try:
            dbutil.migrate(url)
            key, settings = prepare(url, Path(tmp) / "var")
            env = {
                "VENTANILLA_ENV": "test",
                "VENTANILLA_DATABASE_URL": url,
                "VENTANILLA_VAR_DIR": str(settings.var_dir),
                "VENTANILLA_SECRET_KEY": settings.secret_key.get_secret_value(),
                "VENTANILLA_LINK_SECRET": settings.link_secret.get_secret_value(),
                "VENTANILLA_RUN_WORKER_IN_PROCESS": "false",
                **extra_env,
            }
            if code is not None:
                env["PYTHONPATH"] = str(code / "backend")
            with app_server(env, log=Path(tmp) / "server.log") as server:
                push = asyncio.run(store_pushes(server.url, key, seconds, 32))
                print(f"{db} store push, 32 connections, {seconds:g} s: {push}")
                with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
                    for number, email in (
                        ("F-0001", "flood@example.com"),
                        ("F-0002", "calm@example.com"),
                    ):
                        body = order_payload(LINES, email=email)
                        client.put(
                            f"/api/v1/orders/{number}",
                            json=body,
                            headers={"Authorization": f"Bearer {key}"},
                        )
                    flooder, calm = shopper("flood@example.com"), shopper("calm@example.com")
                    address = order_payload(LINES)["shipping_address"] | {"line1": "Calle Nueva 7"}
                    first = client.put(
                        "/api/v1/me/orders/F-0001/address",
                        json={"version": 1, "address": address},
                        headers={"Cookie": f"{COOKIE}={flooder}", "Origin": server.url},
                    )
                    version = first.json().get("version", 2)
                flood = asyncio.run(shopper_flood(server.url, flooder, calm, version))
                print(f"{db} one shopper, 50 writes at once: {flood}")
                output = server.output()
                print(
                    f"{db} server log: {output.count('database is locked')} 'database is locked', "
                    f"{output.count('Traceback')} tracebacks"
                )
        finally:
            use_settings(None)
            if base:
                from ventanilla.db import engine_for

                engine_for(url).dispose()
                dbutil.drop_postgres_database(base, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--code", type=Path, help="run the server from this checkout")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--redis", help="VENTANILLA_REDIS_URL for the server")
    args = parser.parse_args()
    extra = (
        {"VENTANILLA_REDIS_URL": args.redis, "VENTANILLA_REDIS_PREFIX": f"measure-{os.getpid()}"}
        if args.redis
        else {}
    )
    try:
        run(args.db, args.code, args.seconds, extra)
    finally:
        if args.redis:  # leave nothing behind in a shared Redis
            import redis

            client = redis.Redis.from_url(args.redis)
            for key in client.scan_iter(f"{extra['VENTANILLA_REDIS_PREFIX']}:*"):
                client.delete(key)
            client.close()


if __name__ == "__main__":
    main()
