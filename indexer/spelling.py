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

from .analysis import fold

MIN_LENGTH = 3  # shorter words are not corrected, nor offered as corrections
MAX_DISTANCE = 2

_lock = threading.Lock()
_vocabularies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vocabulary(searcher: Searcher, fields: tuple[str, ...]) -> tuple[list[str], list[int], list[str]]:
    """The words of some fields, folded, with their document counts and their most common term (with
    its å/ä/ö: "semesterloneskuld" -> "semesterlöneskuld"), read once per searcher."""
    with _lock:
        cached = _vocabularies.setdefault(searcher, {})
        if fields not in cached:
            counts: Counter[str] = Counter()
            terms: Counter[str] = Counter()
            reader = searcher.reader()
            for name in fields:
                if name in reader.indexed_field_names():
                    for term, info in reader.iter_field(name):
                        term = term.decode("utf-8") if isinstance(term, bytes) else term
                        if len(term) >= MIN_LENGTH and term.isalpha():  # no "=" forms, "~" fallbacks, codes
                            counts[fold(term)] += info.doc_frequency()
                            terms[term] += info.doc_frequency()
            real: dict[str, str] = {}
            for term, _count in terms.most_common():
                real.setdefault(fold(term), term)
            words = list(counts)
            cached[fields] = (words, [counts[w] for w in words], [real[w] for w in words])
        return cached[fields]


def nearest(searcher: Searcher, fields: tuple[str, ...], word: str) -> str | None:
    """The index term closest to a word within two edits, å/ä/ö aside (the more common one on a tie),
    or None."""
    word = fold(word)
    if len(word) < MIN_LENGTH:
        return None
    words, counts, terms = vocabulary(searcher, fields)
    matches = process.extract(word, words, scorer=DamerauLevenshtein.distance, score_cutoff=MAX_DISTANCE,
                              limit=None)
    matches = [m for m in matches if m[0] != word]
    if not matches:
        return None
    return terms[min(matches, key=lambda m: (m[1], -counts[m[2]], m[0]))[2]]
