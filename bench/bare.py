"""The bare reference endpoints `bench/run.py` compares the portal with, on the same data.

    uvicorn --app-dir bench bare:create_app --factory     # BENCH_DATABASE_URL names the database

- `GET /bare/orders/{number}`: one indexed query (the order by its number) and a small Jinja2
  page; what any FastAPI app with a template costs, without sessions, ownership, i18n or
  middleware.
- `GET /bare/json`: a constant JSON answer (what `/healthz` is compared with).

Both are `async def` with the query inline on the event loop through one DBAPI connection per
process: the leanest honest version of "one query and a page".
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Pedido {{ o.number }}</title></head>
<body><main>
<h1>Pedido {{ o.number }}</h1>
<p>Estado: {{ o.status }} · {{ o.placed_at }}</p>
<p>Total: {{ "%.2f"|format(o.total_minor / 100) }} {{ o.currency }}</p>
</main></body></html>"""
)

SQL = "SELECT number, status, total_minor, currency, placed_at FROM orders WHERE number = {p}"


def _connect(url: str) -> tuple[Any, str]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        conn.isolation_level = None
        return conn, SQL.format(p="?")
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True), SQL.format(p="%s")


def create_app() -> FastAPI:
    url = os.environ["BENCH_DATABASE_URL"]
    conn, sql = _connect(url)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    columns = ("number", "status", "total_minor", "currency", "placed_at")

    @app.get("/bare/orders/{number}")
    async def order(number: str) -> HTMLResponse:
        cur = conn.cursor()
        cur.execute(sql, (number,))
        row = cur.fetchone()
        cur.close()
        if row is None:
            return HTMLResponse("not found", status_code=404)
        return HTMLResponse(PAGE.render(o=dict(zip(columns, row, strict=True))))

    @app.get("/bare/json")
    async def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app
