"""Searchers: one per thread, reused while the index is unchanged, reopened when it changed."""
from __future__ import annotations

import threading

from .. import searching
from .generations import Generations


class Searchers:
    """Each thread's searcher of the live generation."""

    def __init__(self, generations: Generations):
        self._generations = generations
        self._local = threading.local()

    def current(self):
        """This thread's searcher, reused while the index is unchanged and reopened when it changed.

        Whoosh's Searcher.refresh() would reuse segment readers, but a reused reader keeps the
        segment's old deletions, so a withdrawn ticket stays findable: reopen instead.
        """
        local = self._local
        generation = self._generations.live()
        searcher = getattr(local, "searcher", None)
        if searcher is not None and local.generation == generation and searcher.up_to_date():
            return searcher
        if searcher is not None:
            searcher.close()
        local.searcher = self._generations.open_live().searcher(weighting=searching.WEIGHTING)
        local.generation = generation
        return local.searcher

    def close(self) -> None:
        """Close this thread's searcher (the next search opens a new one)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
