from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field


class Activity(SQLModel, table=True):
    """Append-only: who did what to which order. Feeds timeline, audit and insights."""

    __tablename__ = "activity"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    actor_type: str = Field(max_length=20)  # customer | agent | store | system
    actor_id: str | None = Field(default=None, max_length=254)
    on_behalf_of: int | None = Field(default=None)  # customer id when an agent acts for them
    kind: str = Field(max_length=60, index=True)
    occurred_at: datetime = utc_field(nullable=False, index=True)
    data: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
