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
    """Import every domain's models and return the shared metadata (Alembic, tests)."""
    from ventanilla.access import models as _access  # noqa: F401
    from ventanilla.activity import models as _activity  # noqa: F401
    from ventanilla.apikeys import models as _apikeys  # noqa: F401
    from ventanilla.catalog import models as _catalog  # noqa: F401
    from ventanilla.changes import models as _changes  # noqa: F401
    from ventanilla.customers import models as _customers  # noqa: F401
    from ventanilla.invoices import models as _invoices  # noqa: F401
    from ventanilla.orders import models as _orders  # noqa: F401
    from ventanilla.outbox import models as _outbox  # noqa: F401
    from ventanilla.payments import models as _payments  # noqa: F401
    from ventanilla.shipping import models as _shipping  # noqa: F401

    return SQLModel.metadata


__all__ = ["created_at_field", "utc_field", "json_field", "metadata", "datetime"]
