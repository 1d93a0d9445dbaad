"""mail receipts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('ticket_number', sa.Integer(), nullable=True),
    sa.Column('authentication', sa.String(length=200), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_receipt')),
    sa.UniqueConstraint('key', name=op.f('uq_mail_receipt_key'))
    )


def downgrade() -> None:
    op.drop_table('mail_receipt')
