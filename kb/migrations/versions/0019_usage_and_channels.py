"""reports: how each ticket came in (its channel, backfilled), and the experience database's usage per day
(searches, searches that found nothing, entries opened), with nothing of who

Revision ID: 0019
Revises: 0018
Create Date: 2027-01-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='web', nullable=False))
    # Tickets made from mail have a receipt saying so; imported ones an id in the system they came from.
    op.execute("UPDATE ticket SET channel = 'email' WHERE number IN "
               "(SELECT ticket_number FROM mail_receipt WHERE action = 'created' AND ticket_number IS NOT NULL)")
    op.execute("UPDATE ticket SET channel = 'import' WHERE external_id IS NOT NULL")
    op.create_table(
        'search_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('language', sa.String(length=3), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('searches', sa.Integer(), nullable=False),
        sa.Column('zero_results', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'language', 'mode', name=op.f('pk_search_day')),
    )
    # Keyed by query and by entry first, rows kept in key order (SQLite: WITHOUT ROWID): the reports add up
    # each one's days reading the table alone.
    op.create_table(
        'zero_result_query',
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('searches', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('query', 'day', name=op.f('pk_zero_result_query')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'entry_view',
        sa.Column('ticket_number', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('ticket_number', 'day', name=op.f('pk_entry_view')),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('entry_view')
    op.drop_table('zero_result_query')
    op.drop_table('search_day')
    with op.batch_alter_table('ticket', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('channel')
