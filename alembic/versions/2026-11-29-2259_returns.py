"""returns and withdrawals: return cases (RMA) with their lines, product tags

- return_cases: one after-sales case (kind withdrawal | return) with the decision shown to the
  shopper (rule ids, inputs, amounts, deadlines); withdrawal_order_id is unique so an order has
  one withdrawal on every database.
- return_lines: the units of each order line in a case, with their amounts and rule.
- products.tags: the shop's labels, which return rules and withdrawal exceptions name.

Revision ID: 63fb65027d9a
Revises: 7a1c0d93e5b2
Create Date: 2026-11-29 22:59:34.510373
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ventanilla.core.types

revision: str = "63fb65027d9a"
down_revision: str | None = "7a1c0d93e5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "return_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("withdrawal_order_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("reason_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("refund_minor", sa.Integer(), nullable=False),
        sa.Column("shipping_refund_minor", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("adjustment_minor", sa.Integer(), nullable=False),
        sa.Column("adjustment_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("review", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("send_by_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_due_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alarm_sent_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settlement", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_return_cases_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["payment_ledger.id"],
            name=op.f("fk_return_cases_ledger_id_payment_ledger"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_return_cases_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_cases")),
        sa.UniqueConstraint(
            "withdrawal_order_id", name=op.f("uq_return_cases_withdrawal_order_id")
        ),
    )
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_cases_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_cases_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_cases_rma"), ["rma"], unique=True)
        batch_op.create_index(batch_op.f("ix_return_cases_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_return_cases_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("paid_minor", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("refund_minor", sa.Integer(), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["return_cases.id"], name=op.f("fk_return_lines_return_id_return_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_lines_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_lines_return_id"), ["return_id"], unique=False)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("tags")

    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_lines_return_id"))
        batch_op.drop_index(batch_op.f("ix_return_lines_order_line_id"))

    op.drop_table("return_lines")
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_cases_updated_at"))
        batch_op.drop_index(batch_op.f("ix_return_cases_status"))
        batch_op.drop_index(batch_op.f("ix_return_cases_rma"))
        batch_op.drop_index(batch_op.f("ix_return_cases_order_id"))
        batch_op.drop_index(batch_op.f("ix_return_cases_customer_id"))

    op.drop_table("return_cases")
