"""a duplicate ticket merged into another

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# The target's number, not a foreign key: SQLite cannot add one in place, and copying the ticket table
# (batch mode) would cascade-delete its comments as the old table is dropped.
def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('merged_into')
