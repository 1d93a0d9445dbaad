"""the customer's side of a ticket's conversation

When the customer last wrote (a ticket's registration or their latest comment) and whether they wrote
after support last did: the support queue lifts such tickets and shows the time since.

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('customer_message_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('customer_replied', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The latest comment of a customer (a user who is neither support nor administrator), else the registration.
    op.execute("""
        UPDATE ticket SET customer_message_at = COALESCE(
            (SELECT MAX(comment.created_at) FROM comment JOIN "user" ON "user".id = comment.author_id
             WHERE comment.ticket_id = ticket.id AND "user".role NOT IN ('support', 'admin')),
            ticket.created_at)
    """)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('customer_replied')
        batch_op.drop_column('customer_message_at')
