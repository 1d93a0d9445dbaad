"""The migrations build the schema the models describe, and keep what the index relies on."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from kb import migrate
from kb.db import Database, writing
from kb.models import Base, IndexQueueEntry


def test_the_migrations_build_the_models_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_index_queue_ids_keep_growing_across_the_upgrade(tmp_path):
    """The index's watermark compares queue ids: an id given out again after the queue was emptied
    (pruned) would be taken as applied, and the change never reach the index."""
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    migrate.upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        for number in range(10001, 10006):
            conn.execute(text("INSERT INTO index_queue (ticket_number, action, created_at) "
                              "VALUES (:n, 'upsert', '2026-12-01 10:00:00')"), {"n": number})
        conn.execute(text("DELETE FROM index_queue"))
    engine.dispose()
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session, writing(session):
        entry = IndexQueueEntry(ticket_number=10001)
        session.add(entry)
        session.flush()
        assert entry.id == 6
    database.dispose()
