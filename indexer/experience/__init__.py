"""ExperienceIndex: the one entry point that writes and searches the experience database.

It composes one module per job:
    generations.py   the index folder: the live generation, new ones, the switch, the rebuild lock
    watermark.py     the last index-queue id a generation has applied
    drain.py         applying the index queue to the live generation, and pruning applied rows
    rebuild.py       writing a new generation from the database and switching to it
    status.py        what `kb index status` reports
    searchers.py     each thread's searcher, reused until the index changes
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kb.db import Database

from .. import searching
from ..searching import Hit, SearchRequest, SearchResult
from . import drain, rebuild, status
from .generations import Generations
from .rebuild import RebuildFailed, RebuildRunning
from .searchers import Searchers

__all__ = ["ExperienceIndex", "RebuildFailed", "RebuildRunning"]


class ExperienceIndex:
    """Writes (sync, rebuild) and searches one index folder; safe to share between threads."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.generations = Generations(self.root)
        self._searchers = Searchers(self.generations)

    def generation(self) -> str | None:
        """The name of the live generation, or None before the first build."""
        return self.generations.live()

    def sync(self, database: Database, wait: bool = False) -> int:
        """Apply the index queue; returns how many tickets were brought up to date (see drain.sync)."""
        return drain.sync(self.generations, database, wait)

    def rebuild(self, database: Database, procs: int = 1, limitmb: int = 512,
                progress: Callable[[int], None] = lambda n: None,
                on_total: Callable[[int], None] = lambda n: None) -> int:
        """Build a new generation from the database, switch to it atomically, and return its size."""
        return rebuild.run(self.generations, database, procs, limitmb, progress, on_total)

    def status(self, database: Database) -> dict:
        """Counts for `kb index status`: documents, published tickets, and how far behind the index is."""
        return status.report(self.generations, database, self.searcher)

    def searcher(self):
        """This thread's searcher of the live generation (see searchers.Searchers)."""
        return self._searchers.current()

    def close(self) -> None:
        """Close this thread's searcher."""
        self._searchers.close()

    def search(self, request: SearchRequest) -> SearchResult:
        return searching.run(self.searcher(), request)

    def suggest(self, text: str, language: str = "all", limit: int = 10) -> list[Hit]:
        return searching.suggest(self.searcher(), text, language, limit)

    def related(self, number: int, limit: int = 5) -> list[Hit]:
        return searching.related(self.searcher(), number, limit)
