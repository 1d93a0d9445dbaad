"""tickets: the report's name and filters ("raportin nimi rajauksineen"); "customer replied" only where the
customer answered support (a customer's own follow-up on an unanswered ticket is not a reply)

Revision ID: 0022
Revises: 0021
Create Date: 2027-02-21
"""
import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('report_name', sa.Text(), nullable=True))
    ticket = sa.table('ticket', sa.column('customer_replied', sa.Boolean()), sa.column('first_response_at'),
                      sa.column('status', sa.String()))
    op.execute(ticket.update().where(ticket.c.customer_replied.is_(True), ticket.c.first_response_at.is_(None),
                                     ticket.c.status != 'waiting').values(customer_replied=False))


def downgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('report_name')
