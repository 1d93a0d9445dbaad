"""The database connection: engine, sessions and write transactions."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from .mail.settings import MailSettings

IMMEDIATE = "kb_immediate"  # execution option: take SQLite's write lock when the transaction begins


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout, foreign keys and explicit BEGIN."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # pysqlite must not issue its own BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that reads first and writes later cannot wait for the
        # write lock in WAL mode (SQLITE_BUSY at once); writers therefore begin IMMEDIATE.
        immediate = conn.get_execution_options().get(IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class WriteContext:
    """What a write transaction carries besides its changes: who the change log credits, the time of the
    changes, and the mail settings (without them a change writes no e-mail: imports, the demo loader)."""

    actor_id: int | None = None
    now: datetime | None = None  # a loader of historical data back-dates its changes
    mail: MailSettings | None = None


class KbSession(Session):
    """A session of kb's database: its flushes write the change log, the index queue and the outbox,
    steered by its `context`."""

    def __init__(self, *args, context: WriteContext | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context or WriteContext()


def make_sessionmaker(engine: Engine) -> sessionmaker[KbSession]:
    """kb's session factory. The change log and index feed (kb/changelog.py, kb/index_feed.py), the outbox
    (kb/mail/compose.py) and the catalogue's version (kb/catalogue.py) follow every flush of its
    sessions, whatever the caller imported."""
    from . import catalogue, changelog, index_feed
    from .mail import compose

    maker = sessionmaker(bind=engine, class_=KbSession, expire_on_commit=False)
    event.listen(maker, "before_flush", changelog.record)
    event.listen(maker, "before_flush", compose.queue_mail)
    event.listen(maker, "before_flush", catalogue.note_change)
    event.listen(maker, "before_commit", index_feed.publish)
    event.listen(maker, "after_rollback", index_feed.forget_noted)
    return maker


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """One write transaction: ends any read snapshot, takes the write lock, commits or rolls back."""
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Database:
    """An engine and its session factory, opened once per process."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    def session(self, context: WriteContext | None = None) -> KbSession:
        return self.sessions(context=context)

    def dispose(self) -> None:
        self.engine.dispose()
