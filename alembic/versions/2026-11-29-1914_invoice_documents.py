"""invoice documents: pushed PDFs, full-invoice and credit-note requests

Revision ID: 0890eaee7f48
Revises: 5104263b6106
Create Date: 2026-11-29 19:14:26.614409
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ventanilla.core.types

revision: str = '0890eaee7f48'
down_revision: str | None = '5104263b6106'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('credit_note_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('suggested_type', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('amounts_by_rate', sa.JSON(), nullable=False),
    sa.Column('refund_ids', sa.JSON(), nullable=False),
    sa.Column('net_minor', sa.Integer(), nullable=False),
    sa.Column('tax_minor', sa.Integer(), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('credit_note_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', ventanilla.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_note_requests_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_credit_note_requests_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_credit_note_requests_idempotency_key'))
    )
    with op.batch_alter_table('credit_note_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_requests_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_note_requests_order_id'), ['order_id'], unique=False)

    op.create_table('full_invoice_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('open_invoice_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('legal_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tax_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tax_id_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('tax_id_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('address_line1', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address_line2', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('actor_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('on_behalf_of', sa.Integer(), nullable=True),
    sa.Column('full_invoice_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', ventanilla.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', ventanilla.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_full_invoice_requests_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_full_invoice_requests_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_full_invoice_requests_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_full_invoice_requests')),
    sa.UniqueConstraint('open_invoice_id', name=op.f('uq_full_invoice_requests_open_invoice_id'))
    )
    with op.batch_alter_table('full_invoice_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_full_invoice_requests_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_full_invoice_requests_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_full_invoice_requests_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('simplified', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('pdf_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('pdf_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pdf_stored_at', ventanilla.core.types.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('pdf_stored_at')
        batch_op.drop_column('pdf_size')
        batch_op.drop_column('pdf_sha256')
        batch_op.drop_column('pdf_key')
        batch_op.drop_column('simplified')
        batch_op.drop_column('series')

    with op.batch_alter_table('full_invoice_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_full_invoice_requests_order_id'))
        batch_op.drop_index(batch_op.f('ix_full_invoice_requests_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_full_invoice_requests_customer_id'))

    op.drop_table('full_invoice_requests')
    with op.batch_alter_table('credit_note_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_requests_order_id'))
        batch_op.drop_index(batch_op.f('ix_credit_note_requests_invoice_id'))

    op.drop_table('credit_note_requests')
