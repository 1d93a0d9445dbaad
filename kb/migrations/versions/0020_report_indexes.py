"""reports: covering indexes on the ticket's registration and solution dates

Revision ID: 0020
Revises: 0019
Create Date: 2027-01-31
"""
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ticket_report_created', 'ticket',
                    ['created_at', 'product_id', 'language', 'channel', 'priority', 'first_response_at', 'resolved_at',
                     'organisation_id', 'end_customer_id'])
    op.create_index('ix_ticket_report_resolved', 'ticket',
                    ['resolved_at', 'product_id', 'organisation_id', 'end_customer_id'])


def downgrade() -> None:
    op.drop_index('ix_ticket_report_resolved', table_name='ticket')
    op.drop_index('ix_ticket_report_created', table_name='ticket')
