from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)  # shown in lists so a key can be recognised
    key_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the whole key
    scopes: list[str] = json_field(list)
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = utc_field()
    revoked_at: datetime | None = utc_field()
