"""canned answers

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'canned_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body_sv', sa.Text(), nullable=False),
        sa.Column('body_fi', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_answer')),
    )


def downgrade() -> None:
    op.drop_table('canned_answer')
