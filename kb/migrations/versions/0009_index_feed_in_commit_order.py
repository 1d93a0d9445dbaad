"""index feed in commit order, and the index replicas that read it

Queue rows get the position of their transaction in commit order (kb/index_feed.py): PostgreSQL hands
out ids before commit, so a transaction committing late with a smaller id was skipped by an index that
had moved past it. Existing rows keep their id as position; the feed's head continues from the largest
id ever given (SQLite's AUTOINCREMENT sequence, PostgreSQL's sequence), so existing watermarks, which
count ids, stay right. `index_pruned` is the last position forgotten: a watermark below it has missed
changes and the node rebuilds.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-20
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _largest_id_given(bind) -> int:
    largest = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM index_queue")).scalar()
    if bind.dialect.name == "sqlite":
        seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'index_queue'")).scalar()
    elif bind.dialect.name == "postgresql":
        seq = bind.execute(sa.text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                                   "FROM index_queue_id_seq")).scalar()
    else:
        seq = None
    return max(largest, seq or 0)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('index_queue', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('position', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE index_queue SET position = id")
    op.create_index('ix_index_queue_position', 'index_queue', ['position'])
    op.create_table(
        'index_node',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('applied', sa.BigInteger(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_index_node')),
    )
    head = _largest_id_given(bind)
    oldest = bind.execute(sa.text("SELECT MIN(id) FROM index_queue")).scalar()
    pruned = head if oldest is None else oldest - 1
    counter = sa.table('counter', sa.column('name', sa.String), sa.column('value', sa.Integer))
    op.bulk_insert(counter, [{"name": "index_feed", "value": head}, {"name": "index_pruned", "value": pruned}])


def downgrade() -> None:
    op.execute("DELETE FROM counter WHERE name IN ('index_feed', 'index_pruned')")
    op.drop_table('index_node')
    op.drop_index('ix_index_queue_position', table_name='index_queue')
    with op.batch_alter_table('index_queue', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('position')
