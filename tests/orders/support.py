"""Helpers for the store API tests: keys with chosen scopes, and whole-database snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ventanilla.apikeys import service as apikeys_service
from ventanilla.db import session_scope

# Everything a store push may touch; a refused push must leave all of it as it was.
TABLES = ("customers", "products", "orders", "order_lines", "order_addresses", "activity")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in TABLES
        }


def key_with_scopes(*scopes: str) -> str:
    with session_scope() as session:
        return apikeys_service.create_key(session, name="Scoped", scopes=list(scopes)).key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
