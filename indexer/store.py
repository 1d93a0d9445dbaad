"""ExperienceIndex: the one class that writes and searches the experience database.

Layout of the index folder (<instance>/index):
    current -> gen-000007     symlink to the live generation; replaced atomically after a rebuild
    gen-000007/               a Whoosh index, plus state.json: the last index-queue id applied to it
    rebuild.lock              flock held by a running rebuild, so two cannot run at once
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import selectinload
from whoosh import index as whoosh_index
from whoosh.index import LockError

from kb.db import Database, writing
from kb.errors import KbError
from kb.models import IndexQueueEntry, Ticket

from . import analysis, searching
from .documents import document, published, published_rows, row_document
from .engine import WRITER_OPTIONS, bulk, open_index
from .schema import INDEX_NAME, build_schema
from .searching import Hit, SearchRequest, SearchResult

SYNC_BATCH = 2000
REBUILD_BATCH = 1000


class RebuildRunning(KbError):
    pass


class RebuildFailed(KbError):
    pass


def published_tickets():
    """The query of every ticket that belongs in the experience database."""
    return (select(Ticket).where(published())
            .options(selectinload(Ticket.product), selectinload(Ticket.category), selectinload(Ticket.version)))


class ExperienceIndex:
    """Writes (sync, rebuild) and searches one index folder; safe to share between threads."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._indexes: dict[str, whoosh_index.Index] = {}

    # -- generations -------------------------------------------------------------------------------
    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def generation(self) -> str | None:
        """The name of the live generation, or None before the first build."""
        try:
            return os.readlink(self.current_link)
        except FileNotFoundError:
            return None

    def _open(self, generation: str) -> whoosh_index.Index:
        with self._lock:
            ix = self._indexes.get(generation)
            if ix is None:
                ix = open_index(str(self.root / generation), INDEX_NAME)
                self._indexes = {generation: ix}  # older generations are no longer needed here
            return ix

    def index(self) -> whoosh_index.Index:
        """The live index, created empty when there is none yet."""
        generation = self.generation()
        if generation is None:
            generation = self._new_generation()
            self._switch(generation)
        return self._open(generation)

    def _new_generation(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        folder = self.root / name
        folder.mkdir()
        whoosh_index.create_in(str(folder), build_schema(), indexname=INDEX_NAME)
        return name

    def _switch(self, generation: str) -> None:
        """Point `current` at a generation in one rename, so readers see the old or the new, never neither."""
        tmp = self.root / f".current-{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(generation, tmp)
        os.replace(tmp, self.current_link)

    def _remove_old_generations(self, keep: str) -> None:
        for folder in self.root.glob("gen-*"):
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _watermark(self, generation: str) -> int:
        try:
            return json.loads((self.root / generation / "state.json").read_text())["applied"]
        except (FileNotFoundError, ValueError, KeyError):
            return 0

    def _set_watermark(self, generation: str, applied: int) -> None:
        path = self.root / generation / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"applied": applied}))
        os.replace(tmp, path)

    @contextmanager
    def _rebuild_lock(self, wait: bool = False) -> Iterator[bool]:
        """Hold the rebuild lock; yields False (without holding it) if a rebuild runs and wait is False."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rebuild.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- writing -----------------------------------------------------------------------------------
    def sync(self, database: Database, wait: bool = False) -> int:
        """Apply the index queue to the live index; returns how many tickets were brought up to date.

        Without `wait`, gives up at once when another process holds the writer: its drain will see
        the same rows, since a row is only pruned once the index records it as applied.
        """
        total = 0
        ix = self.index()
        generation = self.generation()
        while True:
            if not self._pending(database, generation):
                break  # checked before taking the writer, whose new segment's files a cancel leaves behind
            try:
                writer = ix.writer(timeout=30.0 if wait else 0.0, **WRITER_OPTIONS)
            except LockError:
                return total
            with database.session() as session:
                try:
                    applied = self._watermark(generation)
                    rows = session.execute(select(IndexQueueEntry.id, IndexQueueEntry.ticket_number)
                                           .where(IndexQueueEntry.id > applied)
                                           .order_by(IndexQueueEntry.id).limit(SYNC_BATCH)).all()
                    if not rows:
                        writer.cancel()
                        break
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
                self._set_watermark(generation, rows[-1][0])
                total += len(numbers)
            if self.generation() != generation:  # a rebuild switched meanwhile: catch the new one up
                ix, generation = self.index(), self.generation()
        self._prune(database, generation)
        return total

    def _pending(self, database: Database, generation: str) -> bool:
        """Whether the queue holds rows past what the generation has applied (read without the writer)."""
        with database.session() as session:
            return session.scalar(select(IndexQueueEntry.id).where(IndexQueueEntry.id > self._watermark(generation))
                                  .limit(1)) is not None

    def _prune(self, database: Database, generation: str) -> None:
        """Forget applied queue rows, unless a rebuild is running and may still need them."""
        with self._rebuild_lock() as free:
            if not free:
                return
            applied = self._watermark(generation)
            with database.session() as session:
                # Read first: the write lock only when there is something to forget, not after every request.
                if not session.scalar(select(exists().where(IndexQueueEntry.id <= applied))):
                    return
                with writing(session):
                    session.execute(delete(IndexQueueEntry).where(IndexQueueEntry.id <= applied))

    def rebuild(self, database: Database, procs: int = 1, limitmb: int = 512,
                progress: Callable[[int], None] = lambda n: None,
                on_total: Callable[[int], None] = lambda n: None) -> int:
        """Build a new generation from the database, switch to it atomically, and return its size."""
        with self._rebuild_lock() as free:
            if not free:
                raise RebuildRunning("A rebuild is already running; wait for it to finish.")
            old = self.generation()
            self._remove_old_generations(keep=old)  # leftovers of a killed rebuild
            generation = self._new_generation()
            ix = open_index(str(self.root / generation), INDEX_NAME)
            with database.session() as session:
                # One read transaction: the queue position and the tickets are the same snapshot.
                applied = session.scalar(select(func.coalesce(func.max(IndexQueueEntry.id), 0)))
                on_total(session.scalar(select(func.count()).select_from(Ticket).where(published())))
                if procs > 1:
                    analysis.preload()  # once here, before the writer processes fork
                rows = session.execute(published_rows().execution_options(yield_per=REBUILD_BATCH))
                try:
                    segments = bulk.write_segments(ix, map(tuple, rows), procs, limitmb, progress,
                                                     document=row_document)
                except bulk.WriterFailed as exc:
                    raise RebuildFailed(f"The rebuild failed and the live index is unchanged: {exc}") from exc
            bulk.commit(ix, segments)
            count = sum(segment.doc_count() for segment in segments)
            self._set_watermark(generation, applied)
            self._switch(generation)
        self.sync(database, wait=True)
        if old:
            shutil.rmtree(self.root / old, ignore_errors=True)  # open readers keep their files until closed
        return count

    def status(self, database: Database) -> dict:
        """Counts for `kb index status`: documents, published tickets, and how far behind the index is."""
        generation = self.generation()
        with database.session() as session:
            publishable = session.scalar(select(func.count()).select_from(Ticket).where(published()))
            applied = self._watermark(generation) if generation else 0
            pending = session.scalar(select(func.count(IndexQueueEntry.id)).where(IndexQueueEntry.id > applied))
            oldest = session.scalar(select(func.min(IndexQueueEntry.created_at)).where(
                IndexQueueEntry.id > applied))
        documents = self.searcher().doc_count() if generation else 0
        with self._rebuild_lock() as free:
            rebuilding = not free
        return {"generation": generation, "documents": documents, "published": publishable,
                "pending": pending, "oldest_pending": oldest, "rebuilding": rebuilding}

    # -- searching ---------------------------------------------------------------------------------
    def searcher(self):
        """This thread's searcher, reused while the index is unchanged and reopened when it changed.

        Whoosh's Searcher.refresh() would reuse segment readers, but a reused reader keeps the
        segment's old deletions, so a withdrawn ticket stays findable: reopen instead.
        """
        local = self._local
        generation = self.generation()
        current = getattr(local, "searcher", None)
        if current is not None and local.generation == generation and current.up_to_date():
            return current
        if current is not None:
            current.close()
        local.searcher = self.index().searcher(weighting=searching.WEIGHTING)
        local.generation = generation
        return local.searcher

    def close(self) -> None:
        current = getattr(self._local, "searcher", None)
        if current is not None:
            current.close()
            self._local.searcher = None

    def search(self, request: SearchRequest) -> SearchResult:
        return searching.run(self.searcher(), request)

    def suggest(self, text: str, language: str = "all", limit: int = 10) -> list[Hit]:
        return searching.suggest(self.searcher(), text, language, limit)

    def related(self, number: int, limit: int = 5) -> list[Hit]:
        return searching.related(self.searcher(), number, limit)
