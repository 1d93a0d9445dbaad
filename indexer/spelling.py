"""'Did you mean' / 'Tarkoititko': the nearest term of the index's own vocabulary, by edit distance.

Whoosh's corrector computes the distance in Python for every term of a field, some 200 ms per
word on 10 000 tickets; rapidfuzz does it in C over the vocabulary, which is read once per process
for a set of segments (segments never change: a new set after a sync or rebuild reads it again). Per
searcher, each gunicorn thread read it for itself: about 5 s at 100 000 tickets.
"""
from __future__ import annotations

import threading
from collections import Counter, OrderedDict

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.searching import Searcher

from .analysis import fold

MIN_LENGTH = 3  # shorter words are not corrected, nor offered as corrections
MAX_DISTANCE = 2

KEPT = 8  # vocabularies kept (segment sets x field sets), the least recently used dropped first

_lock = threading.Lock()
_vocabularies: OrderedDict[tuple, tuple[list[str], list[int], list[str]]] = OrderedDict()


def _segments(searcher: Searcher) -> tuple[str, ...]:
    """The ids of the searcher's segments: what its vocabulary depends on."""
    segments = (getattr(reader, "segment", lambda: None)() for reader, _offset in searcher.reader().leaf_readers())
    return tuple(segment.segment_id() if segment is not None else "" for segment in segments)


def vocabulary(searcher: Searcher, fields: tuple[str, ...]) -> tuple[list[str], list[int], list[str]]:
    """The words of some fields, folded, with their document counts and their most common term (with
    its å/ä/ö: "semesterloneskuld" -> "semesterlöneskuld"), read once per set of segments."""
    key = (_segments(searcher), fields)
    with _lock:
        if key in _vocabularies:
            _vocabularies.move_to_end(key)
            return _vocabularies[key]
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
        found = _vocabularies[key] = (words, [counts[w] for w in words], [real[w] for w in words])
        while len(_vocabularies) > KEPT:
            _vocabularies.popitem(last=False)
        return found


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
