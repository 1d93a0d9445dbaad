"""accounts: whether a login session began with a second factor, a second factor being set up (kept here,
not in the cookie), and the client address of a request for a user

Revision ID: 0021
Revises: 0020
Create Date: 2027-02-14
"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sessions begun before this are taken as password-only: whoever must log in with a code does so once more.
    with op.batch_alter_table('login_session') as batch:
        batch.add_column(sa.Column('second_factor', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('totp_pending_secret', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('totp_pending_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('account_request') as batch:
        batch.add_column(sa.Column('client_address', sa.String(length=64), nullable=True))
    op.create_index('ix_account_request_client_address', 'account_request', ['client_address', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_account_request_client_address', table_name='account_request')
    with op.batch_alter_table('account_request') as batch:
        batch.drop_column('client_address')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('totp_pending_at')
        batch.drop_column('totp_pending_secret')
    with op.batch_alter_table('login_session') as batch:
        batch.drop_column('second_factor')
