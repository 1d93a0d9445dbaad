"""support's first answer on a ticket, for the service levels

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('first_response_at', sa.DateTime(), nullable=True))
    # support's first comment the customer sees; a ticket solved without one counts its resolution
    op.execute("""
        UPDATE ticket SET first_response_at = COALESCE(
            (SELECT MIN(comment.created_at) FROM comment JOIN "user" ON "user".id = comment.author_id
             WHERE comment.ticket_id = ticket.id AND comment.internal = false AND "user".role IN ('support', 'admin')),
            ticket.resolved_at)
    """)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('first_response_at')
