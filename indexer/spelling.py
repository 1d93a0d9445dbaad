"""'Did you mean' / 'Tarkoititko': the nearest term of the index's own vocabulary, by edit distance.

Whoosh's corrector computes the distance in Python for every term of a field, some 200 ms per
word on 10 000 tickets; rapidfuzz does it in C over the vocabulary, which is read once per process
for each segment (segments never change: after a sync only the new, small segments are read). Per
searcher, each gunicorn thread read it for itself: about 5 s at 100 000 tickets. The big segments are
searched as one merged vocabulary (`MERGE_FROM`), the small ones a sync adds one by one: 8.6 -> 2.2 ms
a question's look-ups at 100 000 tickets (four segments), the same corrections.
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

KEPT = 128  # segment vocabularies kept (segments x field sets), the least recently used dropped first

_lock = threading.Lock()
_vocabularies_kept: OrderedDict[tuple, _Words] = OrderedDict()


class _Words:
    """One segment's words of some fields, folded, with their document counts and their most common
    spelling in the segment (with its å/ä/ö: "semesterloneskuld" -> "semesterlöneskuld")."""

    def __init__(self, reader, fields: tuple[str, ...]):
        counts: Counter[str] = Counter()
        terms: Counter[str] = Counter()
        for name in fields:
            if name in reader.indexed_field_names():
                for term, info in reader.iter_field(name):
                    term = term.decode("utf-8") if isinstance(term, bytes) else term
                    if len(term) >= MIN_LENGTH and term.isalpha():  # no "=" forms, "~" fallbacks, codes
                        counts[fold(term)] += info.doc_frequency()
                        terms[term] += info.doc_frequency()
        self.words = list(counts)
        self.counts = counts
        self.spelling: dict[str, tuple[int, str]] = {}  # folded word: (count, its most common spelling)
        for term, count in terms.most_common():
            self.spelling.setdefault(fold(term), (count, term))


def _segment_words(reader, fields: tuple[str, ...]) -> _Words:
    """A segment's vocabulary, read once per process: a segment never changes, so after a sync only the
    new segments are read (the whole index's vocabulary took 5 s at 100 000 tickets, after every change)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    key = (segment.segment_id() if segment is not None else id(reader), reader.doc_count_all(), fields)
    with _lock:
        found = _vocabularies_kept.get(key)
        if found is not None:
            _vocabularies_kept.move_to_end(key)
            return found
    found = _Words(reader, fields)
    with _lock:
        _vocabularies_kept[key] = found
        while len(_vocabularies_kept) > KEPT:
            _vocabularies_kept.popitem(last=False)
    return found


class _Merged(_Words):
    """The vocabularies of several segments as one: a word's count summed, its most common spelling."""

    def __init__(self, parts: list[_Words]):  # not _Words.__init__, which reads one segment
        self.counts = Counter()
        spellings: Counter[str] = Counter()
        for part in parts:
            self.counts.update(part.counts)
        for part in parts:
            for folded, (_count, term) in part.spelling.items():
                spellings[term] += part.counts.get(folded, 0)
        self.words = list(self.counts)
        self.spelling = {}
        for term, count in spellings.most_common():
            self.spelling.setdefault(fold(term), (count, term))


# Segments of at least MERGE_FROM documents are searched as one vocabulary (they share most of their
# words: four segments of 100 000 tickets were four times the same look-up); the small segments that
# syncs add are searched one by one, so a write does not remake the big one.
MERGE_FROM = 2000


def _vocabularies(searcher: Searcher, fields: tuple[str, ...]) -> list[_Words]:
    readers = [reader for reader, _offset in searcher.reader().leaf_readers()]
    big = [reader for reader in readers if reader.doc_count_all() >= MERGE_FROM]
    found = [_segment_words(reader, fields) for reader in readers if reader.doc_count_all() < MERGE_FROM]
    if len(big) == 1:
        found.append(_segment_words(big[0], fields))
    elif big:
        key = ("merged", tuple((reader.segment().segment_id() if hasattr(reader, "segment") else id(reader),
                                reader.doc_count_all()) for reader in big), fields)
        with _lock:
            merged = _vocabularies_kept.get(key)
            if merged is not None:
                _vocabularies_kept.move_to_end(key)
        if merged is None:
            merged = _Merged([_segment_words(reader, fields) for reader in big])
            with _lock:
                _vocabularies_kept[key] = merged
                while len(_vocabularies_kept) > KEPT:
                    _vocabularies_kept.popitem(last=False)
        found.append(merged)
    return found


def nearest(searcher: Searcher, fields: tuple[str, ...], word: str) -> str | None:
    """The index term closest to a word within two edits, å/ä/ö aside (the more common one on a tie),
    or None. Each segment's vocabulary is searched, and a word's counts are summed over the segments."""
    word = fold(word)
    if len(word) < MIN_LENGTH:
        return None
    segments = _vocabularies(searcher, fields)
    distance: dict[str, int] = {}
    for words in segments:
        for match, found, _index in process.extract(word, words.words, scorer=DamerauLevenshtein.distance,
                                                    score_cutoff=MAX_DISTANCE, limit=None):
            if match != word:
                distance[match] = found
    if not distance:
        return None

    def count(match: str) -> int:
        return sum(words.counts.get(match, 0) for words in segments)

    best = min(distance, key=lambda m: (distance[m], -count(m), m))
    return max((words.spelling[best] for words in segments if best in words.spelling), key=lambda s: s[0])[1]


def near(searcher: Searcher, fields: tuple[str, ...], word: str, distance: int, limit: int = 3) -> list[str]:
    """The index terms within `distance` edits of a word, å/ä/ö aside, nearest and most common first, as
    spelled in the index: what a mistyped long word ("semsterlöneskuld") may stand for."""
    word = fold(word)
    if len(word) < MIN_LENGTH:
        return []
    segments = _vocabularies(searcher, fields)
    found: dict[str, int] = {}
    for words in segments:
        for match, edits, _index in process.extract(word, words.words, scorer=DamerauLevenshtein.distance,
                                                    score_cutoff=distance, limit=None):
            if match != word:
                found[match] = edits
    counts = {m: sum(words.counts.get(m, 0) for words in segments) for m in found}
    best = sorted(found, key=lambda m: (found[m], -counts[m], m))[:limit]
    return [max((words.spelling[m] for words in segments if m in words.spelling), key=lambda s: s[0])[1]
            for m in best]
