"""the optional e-mails a user has turned off

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('mail_off', sa.String(length=200), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('mail_off')
