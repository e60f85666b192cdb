from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field


class LinkUse(SQLModel, table=True):
    """How often a "my order" link (by its id) has been spent; links themselves are signed."""

    __tablename__ = "link_uses"

    jti: str = Field(primary_key=True, max_length=64)
    order_id: int = Field(foreign_key="orders.id", index=True)
    uses: int = 0
    first_used_at: datetime | None = utc_field()
    last_used_at: datetime | None = utc_field()
    revoked_at: datetime | None = utc_field()


class ShopperSession(SQLModel, table=True):
    """Server-side shopper session; the cookie holds a random token, we keep its hash."""

    __tablename__ = "shopper_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id")  # the order it opened
    via: str = Field(max_length=20)  # link | code | agent
    agent_id: str | None = Field(default=None, max_length=254)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()
    # Last time this session proved access to the customer's email (a link or an emailed code);
    # changing where goods go needs a recent proof.
    verified_at: datetime | None = utc_field()


class AccessCode(SQLModel, table=True):
    """A 6-digit one-time code emailed to the order's address (stored hashed)."""

    __tablename__ = "access_codes"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    session_id: int = Field(foreign_key="shopper_sessions.id", index=True)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()
