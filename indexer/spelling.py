"""'Did you mean' / 'Tarkoititko': the nearest term of the index's own vocabulary, by edit distance.

Whoosh's corrector computes the distance in Python for every term of a field, some 200 ms per
word on 10 000 tickets; rapidfuzz does it in C over the vocabulary, which is read once per searcher
(a searcher is reopened whenever the index changes, so the vocabulary is never stale).
"""
from __future__ import annotations

import threading
import weakref
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.searching import Searcher

MIN_LENGTH = 3  # shorter words are not corrected, nor offered as corrections
MAX_DISTANCE = 2

_lock = threading.Lock()
_vocabularies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vocabulary(searcher: Searcher, fields: tuple[str, ...]) -> tuple[list[str], list[int]]:
    """The words of some fields with their document counts, read once per searcher."""
    with _lock:
        cached = _vocabularies.setdefault(searcher, {})
        if fields not in cached:
            counts: Counter[str] = Counter()
            reader = searcher.reader()
            for name in fields:
                if name in reader.indexed_field_names():
                    for term, info in reader.iter_field(name):
                        term = term.decode("utf-8") if isinstance(term, bytes) else term
                        if len(term) >= MIN_LENGTH and term.isalpha():
                            counts[term] += info.doc_frequency()
            words = list(counts)
            cached[fields] = (words, [counts[w] for w in words])
        return cached[fields]


def nearest(searcher: Searcher, fields: tuple[str, ...], word: str) -> str | None:
    """The closest known word within two edits (the more common one on a tie), or None."""
    if len(word) < MIN_LENGTH:
        return None
    words, counts = vocabulary(searcher, fields)
    matches = process.extract(word, words, scorer=DamerauLevenshtein.distance, score_cutoff=MAX_DISTANCE,
                              limit=None)
    matches = [m for m in matches if m[0] != word]
    if not matches:
        return None
    return min(matches, key=lambda m: (m[1], -counts[m[2]], m[0]))[0]
