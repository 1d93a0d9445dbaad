"""Usage of the experience database for the reports: searches a day (and how many found nothing), the
queries that found nothing, and how often each entry was opened. Nothing of who searched or opened is
kept, nor when within the day.

A search is a read; writing a row for each would put a write transaction on every search. Each process
counts in memory (`UsageCounter`) and adds its counts to the day's rows in one transaction every
USAGE_FLUSH_SECONDS (and before a report is drawn): a process killed between two flushes loses at most
those seconds' counts, which is fine for statistics and keeps searches reads."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import EntryView, SearchDay, ZeroResultQuery

QUERY_MAX = 200


def folded_query(text: str) -> str:
    """A query as the zero-result list groups it: lower case, single spaces."""
    return " ".join((text or "").lower().split())[:QUERY_MAX]


class UsageCounter:
    """This process's counts since its last flush; safe to share between threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._searches: Counter = Counter()  # (day, language, mode) -> [searches, zero results] as two counters
        self._zero: Counter = Counter()  # (day, query)
        self._nothing: Counter = Counter()  # (day, language, mode): searches that found nothing
        self._views: Counter = Counter()  # (day, ticket number)

    def searched(self, day: date, language: str, mode: str, text: str, found: int) -> None:
        with self._lock:
            self._searches[(day, language, mode)] += 1
            if not found:
                self._nothing[(day, language, mode)] += 1
                query = folded_query(text)
                if query:
                    self._zero[(day, query)] += 1

    def opened(self, day: date, number: int) -> None:
        with self._lock:
            self._views[(day, number)] += 1

    def flush(self, session: Session) -> int:
        """Add the counts to the database (the caller commits); returns how many rows were touched."""
        with self._lock:
            searches, nothing, zero, views = self._searches, self._nothing, self._zero, self._views
            self._searches, self._nothing, self._zero, self._views = Counter(), Counter(), Counter(), Counter()
        try:
            for (day, language, mode), n in searches.items():
                _add(session, SearchDay, {"day": day, "language": language, "mode": mode},
                     {"searches": n, "zero_results": nothing.get((day, language, mode), 0)})
            for (day, query), n in zero.items():
                _add(session, ZeroResultQuery, {"day": day, "query": query}, {"searches": n})
            for (day, number), n in views.items():
                _add(session, EntryView, {"day": day, "ticket_number": number}, {"views": n})
        except BaseException:  # nothing counted is lost: back into the buffer for the next flush
            with self._lock:
                self._searches.update(searches)
                self._nothing.update(nothing)
                self._zero.update(zero)
                self._views.update(views)
            raise
        return len(searches) + len(zero) + len(views)


def _add(session: Session, model, key: dict, counts: dict) -> None:
    """INSERT the row, or add to its counts when the day's row is there (SQLite's and PostgreSQL's upsert)."""
    dialect = session.get_bind().dialect.name
    table = model.__table__
    make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if make is None:  # another database: plain SQL in two steps
        updated = session.query(model).filter_by(**key).update(
            {getattr(model, name): getattr(model, name) + value for name, value in counts.items()})
        if not updated:
            session.execute(insert(table).values(**key, **counts))
        return
    statement = make(table).values(**key, **counts)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: getattr(table.c, name) + getattr(statement.excluded, name)
                                         for name in counts})
    session.execute(statement)
