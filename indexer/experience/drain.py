"""Applying the index feed (kb/index_feed.py) to this node's live generation, and forgetting what every
node has applied.

The feed's rows are written in the same transaction as the change to the ticket, so a crash before the
drain loses nothing. What a row asks for follows from the ticket as it is now: the document of a ticket
of the index's kind (`IndexKind.belongs`) is (re)written, any other ticket's removed; applying a row twice
changes nothing.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import exists, select
from whoosh.index import LockError

from kb import index_feed
from kb.db import Database, writing
from kb.models import Ticket

from ..engine import WRITER_OPTIONS
from . import watermark
from .generations import Generations

SYNC_BATCH = 2000
PRUNE_SECONDS = 5.0  # a process forgets applied feed rows at most this often (a write transaction each time)
_pruned_at: dict[str, float] = {}  # replica name -> when this process last looked for rows to forget


@dataclass(frozen=True)
class Replica:
    """This node's index among the others: its name in `index_node`, and how long a node may stay silent
    before it no longer holds pruning back."""

    node: str
    node_timeout: timedelta = timedelta(hours=1)


def sync(generations: Generations, database: Database, replica: Replica, wait: bool = False,
         holds: Callable[[Iterable[int]], bool] | None = None) -> int:
    """Apply the feed to the live index; returns how many tickets were brought up to date. `holds` tells
    whether the live index has a document of any of some tickets (default: a new reader asks it).

    Without `wait`, gives up at once when another process holds the writer: its drain will see
    the same rows, since a row is only pruned once every node records it as applied.
    """
    total = 0
    ix, generation = generations.open_live(), generations.live()
    # Checked before taking the writer, whose new segment's files a cancel leaves behind.
    while pending(database, generations.folder(generation)):
        if generations.kind.sparse:
            skipped = _skip_batch(ix, database, generations, generation, wait, holds)
            if skipped is None:
                return total
            if skipped:
                total += skipped
                continue
        try:
            writer = ix.writer(timeout=30.0 if wait else 0.0, **WRITER_OPTIONS)
        except LockError:
            return total
        applied = _apply_batch(writer, database, generations, generation)
        if not applied:
            break
        total += applied
        if generations.live() != generation:  # a rebuild switched meanwhile: catch the new one up
            ix, generation = generations.open_live(), generations.live()
    report_and_prune(generations, database, replica, generation)
    return total


def _skip_batch(ix, database: Database, generations: Generations, generation: str, wait: bool,
                holds: Callable[[Iterable[int]], bool] | None) -> int | None:
    """When the next positions name only tickets that this index neither holds nor should hold (most
    changes, for the experience database), move the watermark past them under the index's write lock,
    without a writer (which reads the schema and creates a segment's files: 8 ms a change). Returns how
    many tickets they named; 0 when they need the writer; None when another process holds the lock."""
    lock = ix.lock("WRITELOCK")  # the lock Whoosh's writer takes
    deadline = time.monotonic() + (30.0 if wait else 0.0)
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)
    try:
        folder = generations.folder(generation)
        with database.session() as session:
            numbers, last = index_feed.changes_after(session, watermark.read(folder), SYNC_BATCH)
            if not numbers or session.scalar(select(exists().where(Ticket.number.in_(numbers),
                                                                    generations.kind.belongs()))):
                return 0
        if holds is not None:
            if holds(numbers):
                return 0
        else:
            with ix.reader() as reader:
                if holds_any(reader, numbers):
                    return 0
        watermark.write(folder, last)
        return len(numbers)
    finally:
        lock.release()


def holds_any(reader, numbers: Iterable[int]) -> bool:
    """Whether an index (its reader) has a document of any of the tickets."""
    return any(reader.doc_frequency("number", str(number)) for number in numbers)


def _apply_batch(writer, database: Database, generations: Generations, generation: str) -> int:
    """Apply the next positions past the generation's watermark with `writer`, commit, and move the
    watermark past them; returns how many tickets they named (0, with the writer cancelled, when none).
    Tickets that have no document and had none (most, in the experience database) cost no commit."""
    kind, folder = generations.kind, generations.folder(generation)
    with database.session() as session:
        try:
            numbers, last = index_feed.changes_after(session, watermark.read(folder), SYNC_BATCH)
            if not numbers:
                writer.cancel()
                return 0
            docs = {row.number: kind.document(row) for row in session.execute(
                kind.rows().where(Ticket.number.in_(numbers)))}
            changed = 0
            with writer.searcher() as searcher:
                for number in numbers:
                    if number in docs:
                        writer.update_document(**docs[number])
                        changed += 1
                    else:
                        changed += writer.delete_by_term("number", str(number), searcher=searcher)
            if changed:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        watermark.write(folder, last)
        return len(numbers)


def pending(database: Database, folder: Path) -> bool:
    """Whether the feed has positions past what the generation has applied (read without the writer)."""
    with database.session() as session:
        return index_feed.head(session) > watermark.read(folder)


def behind(database: Database, generations: Generations) -> bool:
    """Whether the live generation (or an empty one, when there is none yet) would miss changes the feed
    no longer holds: it must be rebuilt."""
    generation = generations.live()
    applied = watermark.read(generations.folder(generation)) if generation else 0
    with database.session() as session:
        return index_feed.must_rebuild(session, applied)


def report_and_prune(generations: Generations, database: Database, replica: Replica, generation: str) -> None:
    """Record this node's watermark, and forget the rows every node seen lately has applied (at most every
    PRUNE_SECONDS in a process); unless a rebuild is running here and may still need them. One write
    transaction, only when there is something to write."""
    with generations.rebuild_lock() as free:
        if not free:
            return
        applied = watermark.read(generations.folder(generation))
        now = time.monotonic()
        prune_due = now - _pruned_at.get(replica.node, float("-inf")) >= PRUNE_SECONDS
        with database.session() as session:
            report = index_feed.report_due(session, replica.node, applied)
            # Read first: the write lock only when there is something to forget, not after every request.
            through = index_feed.prunable(session, replica.node, applied, replica.node_timeout) if prune_due else 0
            if prune_due:
                _pruned_at[replica.node] = now
            if report or through:
                with writing(session):
                    if report:
                        index_feed.report(session, replica.node, applied)
                    if through:
                        index_feed.prune(session, through)
