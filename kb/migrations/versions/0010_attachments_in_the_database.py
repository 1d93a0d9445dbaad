"""attachments in the database

With ATTACHMENT_STORAGE = "database", an attachment's bytes and the files held for a form being
corrected live in the database, which every app node reads (kb/attachments.py).

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachment_content',
        sa.Column('attachment_id', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ondelete='CASCADE',
                                name=op.f('fk_attachment_content_attachment_id_attachment')),
        sa.PrimaryKeyConstraint('attachment_id', name=op.f('pk_attachment_content')),
    )
    op.create_table(
        'staged_file',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE',
                                name=op.f('fk_staged_file_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_file')),
    )


def downgrade() -> None:
    op.drop_table('staged_file')
    op.drop_table('attachment_content')
