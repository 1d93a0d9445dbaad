"""The migrations build the schema the models describe, and keep what the index relies on."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from kb import index_feed, migrate
from kb.db import Database, writing
from kb.models import Base


def test_the_migrations_build_the_models_schema(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_the_index_feed_continues_past_every_id_given_before_the_upgrade(empty_database_url):
    """Before 0009 the index's watermark counted queue ids; the feed's positions go on from the largest
    id ever given (also when the queue was emptied), and an index that had not applied the forgotten rows
    must rebuild."""
    url = empty_database_url
    migrate.upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        for number in range(10001, 10006):
            conn.execute(text("INSERT INTO index_queue (ticket_number, created_at) "
                              "VALUES (:n, '2026-12-01 10:00:00')"), {"n": number})
        conn.execute(text("DELETE FROM index_queue WHERE id <= 3"))
    engine.dispose()
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        assert index_feed.head(session) == 5 and index_feed.pruned_through(session) == 3
        assert index_feed.changes_after(session, 3, 100) == ({10004, 10005}, 5)  # old rows keep their place
        assert index_feed.must_rebuild(session, 2) and not index_feed.must_rebuild(session, 3)
        with writing(session):
            index_feed.note(session, 10001)  # as the change log's listener notes a changed ticket
        assert index_feed.head(session) == 6
        assert index_feed.changes_after(session, 5, 100) == ({10001}, 6)
    database.dispose()
