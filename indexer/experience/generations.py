"""The index folder's generations: which one is live, making and switching to a new one, removing old ones.

Layout of the index folder (<instance>/index):
    current -> gen-000007     symlink to the live generation; replaced atomically after a rebuild
    gen-000007/               a Whoosh index, plus state.json: its watermark (watermark.py)
    rebuild.lock              flock held by a running rebuild, so two cannot run at once
"""
from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from ..engine import open_index
from .kinds import EXPERIENCE, IndexKind


class Generations:
    """One index folder's generations; the live one is opened once per process and shared between threads."""

    def __init__(self, root: Path, kind: IndexKind = EXPERIENCE):
        self.root = Path(root)
        self.kind = kind
        self._lock = threading.Lock()
        self._opened: dict[str, whoosh_index.Index] = {}

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def live(self) -> str | None:
        """The name of the live generation, or None before the first build."""
        try:
            return os.readlink(self.current_link)
        except FileNotFoundError:
            return None

    def folder(self, generation: str) -> Path:
        return self.root / generation

    def open_live(self) -> whoosh_index.Index:
        """The live index, created empty when there is none yet."""
        generation = self.live()
        if generation is None:
            generation = self.create()
            self.switch(generation)
        with self._lock:
            ix = self._opened.get(generation)
            if ix is None:
                ix = open_index(str(self.folder(generation)), self.kind.name)
                self._opened = {generation: ix}  # older generations are no longer needed here
            return ix

    def create(self) -> str:
        """A new, empty generation folder, numbered after the highest one there is."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        self.folder(name).mkdir()
        whoosh_index.create_in(str(self.folder(name)), self.kind.schema(), indexname=self.kind.name)
        return name

    def switch(self, generation: str) -> None:
        """Point `current` at a generation in one rename, so readers see the old or the new, never neither."""
        tmp = self.root / f".current-{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(generation, tmp)
        os.replace(tmp, self.current_link)

    def remove(self, generation: str) -> None:
        """Delete a generation's folder; readers that have it open keep its files until they close."""
        shutil.rmtree(self.folder(generation), ignore_errors=True)

    def remove_all_but(self, keep: str | None) -> None:
        for folder in self.root.glob("gen-*"):
            if folder.name != keep:
                self.remove(folder.name)

    @contextmanager
    def rebuild_lock(self, wait: bool = False) -> Iterator[bool]:
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
