"""ExperienceIndex and DeskIndex: the entry points that write and search kb's two indexes, the experience
database (published tickets, for everyone) and the desk index (every ticket, for support). Both are
replicas on each node, fed by the index feed (kb/index_feed.py), with the same machinery (`Replica`).

It composes one module per job:
    kinds.py         what each index holds: its schema, and its documents' rows
    generations.py   the index folder: the live generation, new ones, the switch, the rebuild lock
    watermark.py     the last position of the index feed (kb/index_feed.py) a generation has applied
    node.py          this node's name among the index replicas
    drain.py         applying the feed to the live generation, reporting, pruning what every node applied
    rebuild.py       writing a new generation from the database and switching to it
    status.py        what `kb index status` reports
    searchers.py     each thread's searcher, reused until the index changes
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from kb.db import Database

from .. import desk, searching
from ..desk import DeskRequest, DeskResult
from ..searching import Hit, SearchRequest, SearchResult
from . import drain, node, rebuild, status
from .drain import Replica
from .generations import Generations
from .kinds import DESK, EXPERIENCE, IndexKind
from .rebuild import RebuildFailed, RebuildRunning
from .searchers import Searchers

__all__ = ["DeskIndex", "ExperienceIndex", "RebuildFailed", "RebuildRunning"]
REPORT_SECONDS = 30.0  # a node that applies nothing new says it is alive this often (the feed's REPORT_EVERY is 60)


class IndexReplica:
    """Writes (sync, rebuild) one index folder, this node's replica of an index of the kind `KIND`, and
    opens its searchers; safe to share between threads."""

    KIND: IndexKind = EXPERIENCE
    FOLDER = "index"  # in the instance folder

    def __init__(self, root: Path, node_name: str | None = None, node_timeout: float = 3600.0,
                 follow_seconds: float = 1.0, node_root: Path | None = None):
        self.root = Path(root)
        self._node_root = Path(node_root or root)  # the folder keeping this node's made-up name
        self.generations = Generations(self.root, self.KIND)
        self._searchers = Searchers(self.generations)
        self._node_name, self._node_timeout = node_name, node_timeout
        self.follow_seconds = follow_seconds
        self._followed = self._reported = 0.0
        self._follow_lock = threading.Lock()
        self._catching_up: threading.Thread | None = None  # a rebuild `follow` started

    @classmethod
    def from_settings(cls, instance: Path, settings: dict):
        """The index of an instance folder, with its INDEX_* settings (kb/config.py)."""
        timeout, follow = settings.get("INDEX_NODE_TIMEOUT"), settings.get("INDEX_FOLLOW_SECONDS")
        return cls(Path(instance) / cls.FOLDER, settings.get("INDEX_NODE"),
                   3600.0 if timeout is None else float(timeout),
                   1.0 if follow is None else float(follow), node_root=Path(instance) / IndexReplica.FOLDER)

    @property
    def replica(self) -> Replica:
        """This node among the index replicas (its name is made once, on first use)."""
        return Replica(node.name(self._node_root, self._node_name) + self.KIND.node_suffix,
                       timedelta(seconds=self._node_timeout))

    def generation(self) -> str | None:
        """The name of the live generation, or None before the first build."""
        return self.generations.live()

    def sync(self, database: Database, wait: bool = False) -> int:
        """Apply the index feed; returns how many tickets were brought up to date (see drain.sync).
        A node without an index, or that has missed changes the feed no longer holds (back after a long
        absence, or with an index restored from elsewhere), rebuilds instead."""
        if self.generations.live() is None or drain.behind(database, self.generations):
            try:
                return self.rebuild(database)
            except rebuild.RebuildRunning:
                return 0
        self._reported = time.monotonic()
        return drain.sync(self.generations, database, self.replica, wait,
                          holds=lambda numbers: drain.holds_any(self.searcher().reader(), numbers))

    def follow(self, database: Database) -> None:
        """Before a search: at most every `follow_seconds`, apply what other nodes changed. A rebuild
        this needs runs in a thread of its own; the search answers from the index as it is."""
        now = time.monotonic()
        if now - self._followed < self.follow_seconds or not self._follow_lock.acquire(blocking=False):
            return
        try:
            self._followed = now
            generation = self.generations.live()
            if generation is not None and drain.behind(database, self.generations):
                if self._catching_up is None or not self._catching_up.is_alive():
                    self._catching_up = threading.Thread(target=self._sync_quietly, args=(database,), daemon=True)
                    self._catching_up.start()
            elif generation is None or drain.pending(database, self.generations.folder(generation)):
                self.sync(database)  # a node without an index builds it here: run `kb reindex` before it serves
            elif now - self._reported >= REPORT_SECONDS:  # nothing new: still say this node is alive
                self._reported = now
                drain.report_and_prune(self.generations, database, self.replica, generation)
        finally:
            self._follow_lock.release()

    def follow_in_background(self, database: Database) -> threading.Thread:
        """A daemon thread that follows the feed every `follow_seconds`, so that this node stays up to date
        (and reported alive) while it serves no searches: the web app starts one per process."""
        def run():
            while True:
                time.sleep(self.follow_seconds)
                try:
                    self.follow(database)
                except Exception:  # noqa: BLE001  (the database may be away for a while: try again)
                    logging.getLogger(__name__).exception("index follow failed")

        thread = threading.Thread(target=run, name="kb-index-follower", daemon=True)
        thread.start()
        return thread

    def _sync_quietly(self, database: Database) -> None:
        try:
            self.sync(database)
        except Exception:  # noqa: BLE001  (the feed keeps the work; the next follow tries again)
            logging.getLogger(__name__).exception("index sync failed")

    def rebuild(self, database: Database, procs: int = 1, limitmb: int = 512,
                progress: Callable[[int], None] = lambda n: None,
                on_total: Callable[[int], None] = lambda n: None) -> int:
        """Build a new generation from the database, switch to it atomically, and return its size."""
        return rebuild.run(self.generations, database, self.replica, procs, limitmb, progress, on_total)

    def status(self, database: Database) -> dict:
        """Counts for `kb index status`: documents, published tickets, how far behind this node's index
        is, and every node's progress."""
        return status.report(self.generations, database, self.replica, self.searcher)

    def lag(self, database: Database) -> dict:
        """This node's progress through the index feed, for the health endpoint (no counting)."""
        return status.lag(self.generations, database, self.replica)

    def searcher(self):
        """This thread's searcher of the live generation (see searchers.Searchers)."""
        return self._searchers.current()

    def close(self) -> None:
        """Close this thread's searcher."""
        self._searchers.close()



class ExperienceIndex(IndexReplica):
    """The experience database: published tickets, searched by everyone."""

    KIND = EXPERIENCE

    def search(self, request: SearchRequest) -> SearchResult:
        return searching.run(self.searcher(), request)

    def suggest(self, text: str, language: str = "all", limit: int = 10) -> list[Hit]:
        return searching.suggest(self.searcher(), text, language, limit)

    def related(self, number: int, limit: int = 5) -> list[Hit]:
        return searching.related(self.searcher(), number, limit)


class DeskIndex(IndexReplica):
    """Support's index of every ticket, with comments and internal notes: never searched for a customer."""

    KIND = DESK
    FOLDER = "desk-index"

    def search(self, request: DeskRequest) -> DeskResult:
        return desk.run(self.searcher(), request)

    def related(self, number: int, limit: int = 5) -> list[int]:
        return desk.related(self.searcher(), number, limit)
