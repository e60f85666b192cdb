from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field


class PaymentEntry(SQLModel, table=True):
    """The money ledger: one row per refund or extra charge, written BEFORE Stripe is called.

    The unique idempotency key makes every money movement exactly-once even where the provider
    does not honour idempotency keys (localstripe doesn't).
    """

    __tablename__ = "payment_ledger"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    change_id: int | None = Field(default=None, foreign_key="order_changes.id", index=True)
    kind: str = Field(max_length=20)  # refund | charge
    amount_minor: int  # what is sent to the provider (`payments.currency.to_stripe`)
    # What was asked but the provider cannot take in this currency (KWD 0.005): the shop's.
    remainder_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    currency: str = Field(max_length=3)
    # pending -> succeeded | failed (| canceled for charges never paid)
    status: str = Field(default="pending", max_length=20, index=True)
    idempotency_key: str = Field(max_length=100, unique=True)
    provider_id: str | None = Field(default=None, max_length=255)  # re_… / pi_…
    client_secret: str | None = Field(default=None, max_length=255)
    attempts: int = 0
    next_attempt_at: datetime | None = utc_field()
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class StripeEvent(SQLModel, table=True):
    """Stripe webhook events by id: a replay is recognised and changes nothing."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    received_at: datetime = created_at_field()
    processed_at: datetime | None = utc_field()
