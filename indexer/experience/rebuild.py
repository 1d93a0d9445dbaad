"""A rebuild: every ticket of the index's kind (the published ones, in the experience database) written
into a new generation, which then replaces the live one.

The live index answers throughout; a rebuild that fails or is killed leaves it as it was, and the
next rebuild removes what the killed one left.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from kb import index_feed
from kb.db import Database, writing
from kb.errors import KbError
from kb.models import Ticket

from .. import analysis
from ..engine import WriterFailed, commit, open_index, write_segments
from . import drain, watermark
from .generations import Generations

REBUILD_BATCH = 1000


class RebuildRunning(KbError):
    pass


class RebuildFailed(KbError):
    pass


def run(generations: Generations, database: Database, replica: drain.Replica, procs: int = 1, limitmb: int = 512,
        progress: Callable[[int], None] = lambda n: None,
        on_total: Callable[[int], None] = lambda n: None) -> int:
    """Build a new generation from the database, switch to it atomically, and return its size."""
    with generations.rebuild_lock() as free:
        if not free:
            raise RebuildRunning("A rebuild is already running; wait for it to finish.")
        _hold_pruning(database, replica)
        old = generations.live()
        generations.remove_all_but(old)  # leftovers of a killed rebuild
        generation = generations.create()
        count, applied = _write(generations, generation, database, procs, limitmb, progress, on_total)
        watermark.write(generations.folder(generation), applied)
        generations.switch(generation)
    drain.sync(generations, database, replica, wait=True)  # what changed while it was written
    if old:
        generations.remove(old)
    return count


def _hold_pruning(database: Database, replica: drain.Replica) -> None:
    """Report this node at the feed's head before the rebuild reads, so that no other node prunes the
    changes made while it is written (the drain after the switch applies them)."""
    with database.session() as session, writing(session):
        index_feed.report(session, replica.node, index_feed.head(session))


def _write(generations: Generations, generation: str, database: Database, procs: int, limitmb: int,
           progress: Callable[[int], None], on_total: Callable[[int], None]) -> tuple[int, int]:
    """Write every ticket of the index's kind into `generation`; returns how many, and the last feed
    position their texts include."""
    kind = generations.kind
    ix = open_index(str(generations.folder(generation)), kind.name)
    with database.session() as session:
        # The feed's head first: every change up to it is in the tickets read after it (on PostgreSQL a
        # later statement may see more, which the drain applies again, harmlessly).
        applied = index_feed.head(session)
        on_total(session.scalar(select(func.count()).select_from(Ticket).where(kind.belongs())))
        if procs > 1:
            analysis.preload()  # once here, before the writer processes fork
        rows = session.execute(kind.rows().execution_options(yield_per=REBUILD_BATCH))
        try:
            segments = write_segments(ix, map(tuple, rows), procs, limitmb, progress, document=kind.document)
        except WriterFailed as exc:
            raise RebuildFailed(f"The rebuild failed and the live index is unchanged: {exc}") from exc
    commit(ix, segments)
    return sum(segment.doc_count() for segment in segments), applied
