"""simplemma's lemma dictionaries as MARISA tries on disk, built once per machine.

simplemma's default dictionaries are Python dicts: some 550 MB for Swedish and Finnish in every
process that analyses text. Its TrieDictionaryFactory keeps them as tries instead (23 MB for both,
a lookup under a microsecond, loaded in milliseconds) with exactly the same entries. Building a trie
needs the dict for a few seconds, so it is done once, in a child process, into a cache folder that
every kb process shares (KB_LEXICON_DIR); no server or worker ever holds the dicts themselves.
"""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

from platformdirs import user_cache_dir
from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY, TrieDictionaryFactory

from kb import config

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where the tries live: $KB_LEXICON_DIR, else the user's cache folder; one subfolder per simplemma version."""
    configured = config.environment("KB_LEXICON_DIR")
    base = Path(configured) if configured else Path(user_cache_dir("kb")) / "lexicon"
    return base / f"simplemma-{version('simplemma')}"


def build(language: str, folder: Path) -> Path:
    """Build a language's trie into `folder` unless it is there; one process at a time, in a child process."""
    target = folder / f"{language}.dic"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process built it while we waited
            return target
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            subprocess.run([sys.executable, "-m", "indexer.lexicon", language, tmp], check=True,
                           capture_output=True)
            os.replace(Path(tmp) / f"{language}.dic", target)  # readers see no trie or a whole one
    return target


class Lexicon:
    """simplemma's DictionaryFactory over the cached tries; falls back to its in-memory dicts if they cannot be built."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self._lock = threading.Lock()
        self._dictionaries: dict[str, Mapping[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        dictionary = self._dictionaries.get(lang)
        if dictionary is None:
            with self._lock:
                dictionary = self._dictionaries.get(lang) or self._load(lang)
                self._dictionaries[lang] = dictionary
        return dictionary

    def _load(self, lang: str) -> Mapping[str, str]:
        folder = self.folder or cache_dir()
        try:
            build(lang, folder)
            return TrieDictionaryFactory(disk_cache_dir=str(folder)).get_dictionary(lang)
        except (OSError, subprocess.CalledProcessError) as exc:
            log.warning("No lemma trie for %s in %s (%s); using simplemma's in-memory dictionary", lang, folder, exc)
            return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)


LEXICON = Lexicon()


if __name__ == "__main__":  # the child process of build(): python -m indexer.lexicon LANGUAGE FOLDER
    TrieDictionaryFactory(disk_cache_dir=sys.argv[2]).get_dictionary(sys.argv[1])
