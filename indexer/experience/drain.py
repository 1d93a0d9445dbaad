"""Draining the index queue into the live generation, and forgetting the rows it has applied.

The queue row is written in the same transaction as the change to the ticket, so a crash before the
drain loses nothing. What a row asks for follows from the ticket as it is now: a published ticket's
document is (re)written, any other ticket's removed.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import selectinload
from whoosh.index import LockError

from kb.db import Database, writing
from kb.models import IndexQueueEntry, Ticket

from ..documents import document, published
from ..engine import WRITER_OPTIONS
from . import watermark
from .generations import Generations

SYNC_BATCH = 2000


def published_tickets():
    """The query of every ticket that belongs in the experience database."""
    return (select(Ticket).where(published())
            .options(selectinload(Ticket.product), selectinload(Ticket.category), selectinload(Ticket.version)))


def sync(generations: Generations, database: Database, wait: bool = False) -> int:
    """Apply the index queue to the live index; returns how many tickets were brought up to date.

    Without `wait`, gives up at once when another process holds the writer: its drain will see
    the same rows, since a row is only pruned once the index records it as applied.
    """
    total = 0
    ix, generation = generations.open_live(), generations.live()
    # Checked before taking the writer, whose new segment's files a cancel leaves behind.
    while pending(database, generations.folder(generation)):
        try:
            writer = ix.writer(timeout=30.0 if wait else 0.0, **WRITER_OPTIONS)
        except LockError:
            return total
        applied = _apply_batch(writer, database, generations.folder(generation))
        if not applied:
            break
        total += applied
        if generations.live() != generation:  # a rebuild switched meanwhile: catch the new one up
            ix, generation = generations.open_live(), generations.live()
    prune(generations, database, generation)
    return total


def _apply_batch(writer, database: Database, folder: Path) -> int:
    """Apply the next rows past the generation's watermark with `writer`, commit, and move the watermark
    past them; returns how many tickets they named (0, with the writer cancelled, when there were none)."""
    with database.session() as session:
        try:
            rows = session.execute(select(IndexQueueEntry.id, IndexQueueEntry.ticket_number)
                                   .where(IndexQueueEntry.id > watermark.read(folder))
                                   .order_by(IndexQueueEntry.id).limit(SYNC_BATCH)).all()
            if not rows:
                writer.cancel()
                return 0
            numbers = {number for _id, number in rows}
            tickets = {t.number: t for t in session.scalars(
                published_tickets().where(Ticket.number.in_(numbers)))}
            for number in numbers:
                if number in tickets:
                    writer.update_document(**document(tickets[number]))
                else:
                    writer.delete_by_term("number", str(number))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        watermark.write(folder, rows[-1][0])
        return len(numbers)


def pending(database: Database, folder: Path) -> bool:
    """Whether the queue holds rows past what the generation has applied (read without the writer)."""
    with database.session() as session:
        return session.scalar(select(IndexQueueEntry.id).where(IndexQueueEntry.id > watermark.read(folder))
                              .limit(1)) is not None


def prune(generations: Generations, database: Database, generation: str) -> None:
    """Forget applied queue rows, unless a rebuild is running and may still need them."""
    with generations.rebuild_lock() as free:
        if not free:
            return
        applied = watermark.read(generations.folder(generation))
        with database.session() as session:
            # Read first: the write lock only when there is something to forget, not after every request.
            if not session.scalar(select(exists().where(IndexQueueEntry.id <= applied))):
                return
            with writing(session):
                session.execute(delete(IndexQueueEntry).where(IndexQueueEntry.id <= applied))
