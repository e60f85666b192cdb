from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-cased
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=32, index=True)
    locale: str | None = Field(default=None, max_length=10)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()
