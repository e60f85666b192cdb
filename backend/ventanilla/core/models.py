"""Shared model helpers: metadata naming convention and common columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ventanilla.core import clock
from ventanilla.core.types import UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> Any:
    return Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False)


def utc_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON, nullable=False)


def metadata() -> Any:
    """Import every table (each domain's `models`, found by `ventanilla.discovery`, and core's
    own) and return the shared metadata (Alembic, tests)."""
    from ventanilla import discovery
    from ventanilla.core import ratelimit as _ratelimit  # noqa: F401  (the rate_limits table)

    discovery.load("models")
    return SQLModel.metadata


__all__ = ["created_at_field", "utc_field", "json_field", "metadata", "datetime"]
