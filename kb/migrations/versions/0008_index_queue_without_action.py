"""index queue without action

The drain decides from the ticket as it is (published: write its document; otherwise: remove it), so
the action each row carried was written and never read.

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# recreate="never": SQLite (3.35 or later) drops the column in place. Batch mode's copy of the table
# would lose AUTOINCREMENT and its sequence, so an emptied queue would give out ids again from 1, and
# the index, whose watermark compares ids, would skip them.
def upgrade() -> None:
    with op.batch_alter_table('index_queue', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('action')


def downgrade() -> None:
    with op.batch_alter_table('index_queue', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('action', sa.Enum('upsert', 'delete', name='indexaction', native_enum=False,
                                                        length=32), server_default='upsert', nullable=False))
