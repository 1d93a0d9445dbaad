"""What `kb index status` reports: documents, published tickets, and how far behind the index is."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from kb.db import Database
from kb.models import IndexQueueEntry, Ticket

from ..documents import published
from . import watermark
from .generations import Generations


def report(generations: Generations, database: Database, searcher: Callable) -> dict:
    """Counts of the live generation (read with `searcher`) and of the database, and whether a rebuild runs."""
    generation = generations.live()
    with database.session() as session:
        publishable = session.scalar(select(func.count()).select_from(Ticket).where(published()))
        applied = watermark.read(generations.folder(generation)) if generation else 0
        pending = session.scalar(select(func.count(IndexQueueEntry.id)).where(IndexQueueEntry.id > applied))
        oldest = session.scalar(select(func.min(IndexQueueEntry.created_at)).where(IndexQueueEntry.id > applied))
    documents = searcher().doc_count() if generation else 0
    with generations.rebuild_lock() as free:
        rebuilding = not free
    return {"generation": generation, "documents": documents, "published": publishable,
            "pending": pending, "oldest_pending": oldest, "rebuilding": rebuilding}
