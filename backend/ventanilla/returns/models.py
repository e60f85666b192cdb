"""Return cases (RMA): a withdrawal (the law) or a commercial return (the shop's policy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, json_field, utc_field

KINDS = ("withdrawal", "return")
# requested -> received -> refunded, or declined; `received` stays when the shop settles by hand.
STATUSES = ("requested", "received", "refunded", "declined")
OPEN_STATUSES = ("requested", "received")


class ReturnCase(SQLModel, table=True):
    """One after-sales case with the decision the shopper was shown, frozen at submission."""

    __tablename__ = "return_cases"

    id: int | None = Field(default=None, primary_key=True)
    rma: str = Field(max_length=20, unique=True, index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="requested", max_length=20, index=True)
    # Equals order_id for a withdrawal: the unique index makes a second withdrawal of the same
    # order impossible on every database (submitting twice gives one case).
    withdrawal_order_id: int | None = Field(default=None, unique=True)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=254)
    reason_code: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=1000)
    currency: str = Field(max_length=3)
    # What the shopper was shown: lines' share of what was paid + shipping - fees.
    refund_minor: int
    shipping_refund_minor: int = 0
    fee_minor: int = 0
    # Set by the shop at "received" with a reason; the refund is refund_minor + adjustment.
    adjustment_minor: int = 0
    adjustment_reason: str | None = Field(default=None, max_length=500)
    review: bool = False
    decision: dict[str, Any] = json_field()  # rule ids, inputs, amounts, deadlines
    send_by_at: datetime | None = utc_field()
    refund_due_at: datetime | None = utc_field()  # withdrawal: 14 days after it was received
    alarm_sent_at: datetime | None = utc_field()  # the shop was warned 4 days before it
    # none | ledger (through payments) | shop_to_settle (no card payment to refund)
    settlement: str = Field(default="none", max_length=20)
    ledger_id: int | None = Field(default=None, foreign_key="payment_ledger.id")
    decline_reason: str | None = Field(default=None, max_length=500)
    actor_type: str = Field(max_length=20)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field(index=True)
    received_at: datetime | None = utc_field()
    refunded_at: datetime | None = utc_field()


class ReturnLine(SQLModel, table=True):
    """Units of one order line in a case, with the rule that decided them and their amounts."""

    __tablename__ = "return_lines"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_cases.id", index=True)
    order_line_id: int = Field(foreign_key="order_lines.id", index=True)
    line_no: int
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    quantity: int
    paid_minor: int  # what was paid for these units (discount allocation)
    fee_minor: int = 0
    refund_minor: int
    rule_id: str | None = Field(default=None, max_length=40)
    resolution: str = Field(default="refund", max_length=20)
