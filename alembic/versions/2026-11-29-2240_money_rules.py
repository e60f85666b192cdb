"""money rules: discount shares per line, product tax rates, amounts to capture, remainders

Revision ID: 7a1c0d93e5b2
Revises: 0890eaee7f48
Create Date: 2026-11-29 22:40:00

- order_lines.discount_minor: each line's share of the order discount, allocated here for the
  orders already stored with the same rule as `orders.discounts.allocate` (proportional to the
  line totals, cents by largest remainder, ties to the earlier line; copied, so this migration
  keeps working when the code moves on).
- products.tax_rate_bp: the product's own VAT rate (NULL until the shop pushes it).
- orders.amount_to_capture_minor: lowered before capture.
- payment_ledger.remainder_minor, order_changes.shop_settle_minor: what Stripe cannot carry in
  the currency, left to the shop.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a1c0d93e5b2"
down_revision: str | None = "0890eaee7f48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _allocate(discount: int, amounts: list[int]) -> list[int]:
    base = sum(amounts)
    to_give = min(discount, base)
    if to_give <= 0:
        return [0] * len(amounts)
    shares = [to_give * a // base for a in amounts]
    remainders = [to_give * a % base for a in amounts]
    for index in sorted(range(len(amounts)), key=lambda i: -remainders[i])[
        : to_give - sum(shares)
    ]:
        shares[index] += 1
    return shares


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discount_minor", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_rate_bp", sa.Integer(), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_to_capture_minor", sa.Integer(), nullable=True))
    with op.batch_alter_table("payment_ledger", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remainder_minor", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("order_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shop_settle_minor", sa.Integer(), nullable=False, server_default="0")
        )

    conn = op.get_bind()
    discounted = conn.execute(
        sa.text("SELECT id, discount_minor FROM orders WHERE discount_minor > 0")
    ).all()
    for order_id, discount in discounted:
        lines = conn.execute(
            sa.text(
                "SELECT id, total_minor FROM order_lines WHERE order_id = :o ORDER BY line_no"
            ),
            {"o": order_id},
        ).all()
        shares = _allocate(int(discount), [int(total) for _id, total in lines])
        for (line_id, _total), share in zip(lines, shares, strict=True):
            conn.execute(
                sa.text("UPDATE order_lines SET discount_minor = :d WHERE id = :i"),
                {"d": share, "i": line_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("order_changes", schema=None) as batch_op:
        batch_op.drop_column("shop_settle_minor")
    with op.batch_alter_table("payment_ledger", schema=None) as batch_op:
        batch_op.drop_column("remainder_minor")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("amount_to_capture_minor")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("tax_rate_bp")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("discount_minor")
