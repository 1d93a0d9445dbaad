"""Scoring every matching ticket at once: Whoosh's BM25F over whole posting lists, as numpy arrays.

Whoosh answers a query by walking a tree of matchers one document at a time in Python. A Fritext
search ORs every word over six fields, with lemmas and compound parts, and common words match half
the tickets, so that walk costs hundreds of milliseconds at 100 000 tickets. `Ranker` evaluates the
same query tree a posting list at a time instead: each term's postings become arrays of document ids
and weights (see `codec`), are scored with the same BM25F formula, and AND, OR and AND NOT become
array operations. The scores are Whoosh's own, so the ranking is the one Whoosh would give (a test
compares them), and counts and facet counts are exact.

A Ranker belongs to one searcher (one view of the index). What depends only on a segment (field
lengths, facet values, dates) is kept per segment, so reopening after a sync only reads the new one.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as q
from whoosh.reading import TermNotFound

from ._whoosh import NumericColumn, bm25f_b, field_lengths, numeric_column, per_document_reader, reuse_stored_offsets
from .codec import posting_arrays
from .plan import Best, Lemma, LemmaPrefix, Plan, RankedPhrase


@dataclass(frozen=True)
class Scoring:
    """The parameters of kb's ranking (see docs/architecture.md, "Ranking")."""

    k1: float = 1.2
    b: float = 0.75
    function_share: float = 3.0  # function words weigh min(1, this / content words of the query)
    function_idf: float = 1.0  # ... and, in such long queries, their idf is capped here
    # A name no ticket of the language holds (a capitalised word: "Visma Fivaldi") counts this much of its
    # idf in the share of the query a ticket holds: it tells no ticket from another, so it should not hide
    # them all. Any other word no ticket holds counts in full: the question is about something not answered.
    unknown_share: float = 0.25


SCORING = Scoring()


@dataclass
class Postings:
    """The documents a node of a ranked query matches (ascending, each once) and their scores."""

    ids: np.ndarray  # int64
    score: np.ndarray  # float64


NO_POSTINGS = Postings(np.empty(0, dtype=np.int64), np.empty(0))
# Lemmas in more than the index's size / COMMON_SHARE documents are kept between searches, up to
# COMMON_POSTINGS postings in all (16 bytes each: 32 MB).
COMMON_SHARE = 50
COMMON_POSTINGS = 2_000_000
# Postings of more documents than the index's size / DENSE_SHARE are merged in an array of the index's size.
DENSE_SHARE = 16


def _boosted(found: Postings, boost: float) -> Postings:
    return found if boost == 1.0 or not len(found.ids) else Postings(found.ids, found.score * boost)


@dataclass
class Scored:
    """Which documents a query matches, and their scores (0 where it does not match)."""

    match: np.ndarray  # bool, one per document of the searcher
    score: np.ndarray  # float64
    coverage: np.ndarray | None = None  # kb's ranking: the share of the query's content (by idf) matched
    coded: np.ndarray | None = None  # kb's ranking: the documents holding a code of the query (`RankedClause.code`)


class _Segment:
    """The arrays a ranker needs from one segment. A segment's documents never change (only which of
    them are deleted), so they are kept across searchers; each method reads through the reader given."""

    def __init__(self, key: str, size: int):
        self.key = key
        self.size = size
        self._lengths: dict[str, np.ndarray] = {}
        self._facets: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._dates: dict[str, np.ndarray] = {}
        self.stored: dict = {}  # where each document's stored fields are (`reuse_stored_offsets`)
        self.held: dict[tuple[str, bytes], bool] = {}  # whether the segment has a term (`holds`)

    def lengths(self, reader, fieldname: str) -> np.ndarray:
        """Each document's length of a field, as Whoosh's scorer sees it (quantised to a byte)."""
        if fieldname not in self._lengths:
            self._lengths[fieldname] = field_lengths(per_document_reader(reader), fieldname, self.size).astype(np.float64)
        return self._lengths[fieldname]

    def facet(self, reader, name: str) -> tuple[np.ndarray, list[str]]:
        """(value index per document, -1 for none; the values) of a keyword field, from its postings."""
        if name not in self._facets:
            codes = np.full(self.size, -1, dtype=np.int32)
            values = []
            field = reader.schema[name]
            for btext in reader.lexicon(name):
                ids, _weights = posting_arrays(reader.postings(name, btext))
                codes[ids] = len(values)
                values.append(field.from_bytes(btext))
            self._facets[name] = (codes, values)
        return self._facets[name]

    def dates(self, reader, name: str) -> np.ndarray:
        """A sortable numeric field's raw values (for DATETIME: in the order of the dates)."""
        if name not in self._dates:
            column = reader.schema[name].column_type
            self._dates[name] = numeric_column(per_document_reader(reader), name, column, self.size).astype(
                np.int64) if isinstance(column, NumericColumn) else np.zeros(self.size, dtype=np.int64)
        return self._dates[name]


_SEGMENTS: OrderedDict[str, _Segment] = OrderedDict()  # by segment id, the most recently used last
_SEGMENTS_KEPT = 64
_SEGMENTS_LOCK = threading.Lock()


def _segment(reader) -> _Segment:
    key = f"{reader.segment().segment_id()}:{reader.doc_count_all()}"
    with _SEGMENTS_LOCK:
        found = _SEGMENTS.get(key)
        if found is None:
            found = _SEGMENTS[key] = _Segment(key, reader.doc_count_all())
        _SEGMENTS.move_to_end(key)
        while len(_SEGMENTS) > _SEGMENTS_KEPT:
            _SEGMENTS.popitem(last=False)
        return found


# A segment's raw posting lists (its own document ids, with its deleted documents; weights), kept across
# searchers up to KEPT_POSTINGS postings (8 bytes each: 48 MB), the least recently used dropped first: the
# index is reopened after every write, and a new searcher would read the same lists again. The load test's
# queries read 5 million postings at 100 000 tickets.
KEPT_POSTINGS = 6_000_000
_POSTINGS: OrderedDict[tuple, tuple[np.ndarray, np.ndarray] | None] = OrderedDict()
_POSTINGS_SIZE = 0
_POSTINGS_LOCK = threading.Lock()


def _raw_postings(segment: _Segment, reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """(segment-local ids, weights) of a term in a segment, None when the segment lacks it."""
    global _POSTINGS_SIZE
    key = (segment.key, fieldname, btext)
    with _POSTINGS_LOCK:
        if key in _POSTINGS:
            _POSTINGS.move_to_end(key)
            return _POSTINGS[key]
    try:
        found = posting_arrays(reader.postings(fieldname, btext))  # one look-up of the term, not three
    except TermNotFound:
        found = None
    else:
        found = (found[0].astype(np.int32), found[1])  # a segment's own ids
        for array in found:
            array.flags.writeable = False  # shared from now on
    size = 1 + (len(found[0]) if found is not None else 0)
    with _POSTINGS_LOCK:
        if key not in _POSTINGS and size <= KEPT_POSTINGS:
            _POSTINGS[key] = found
            _POSTINGS_SIZE += size
            while _POSTINGS_SIZE > KEPT_POSTINGS:
                _key, dropped = _POSTINGS.popitem(last=False)
                _POSTINGS_SIZE -= 1 + (len(dropped[0]) if dropped is not None else 0)
    return found


# How many (field, term) answers of `holds` a segment keeps; then it starts again.
HELD_KEPT = 50_000


def holds(reader, fieldname: str, text: str) -> bool:
    """Whether any segment of a reader has a term: `(fieldname, text) in reader`, each segment's answer
    kept (a segment never changes), so a word is looked up in Whoosh's term files once, not per search."""
    schema = reader.schema
    if fieldname not in schema:
        return False
    key = (fieldname, schema[fieldname].to_bytes(text))
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    for leaf, _offset in leaves:
        if not leaf.doc_count_all():
            continue
        kept = _segment(leaf).held
        found = kept.get(key)
        if found is None:
            found = key in leaf
            if len(kept) >= HELD_KEPT:
                kept.clear()
            kept[key] = found
        if found:
            return True
    return False


def share_segments(searcher) -> None:
    """Let a new searcher read stored fields with what earlier searchers of the same segments worked out."""
    for reader, _offset in searcher.reader().leaf_readers():
        if reader.doc_count_all():
            reuse_stored_offsets(per_document_reader(reader), _segment(reader).stored)


class _Whole:
    """The arrays of one state of the whole index (its segments and their deletions), shared by the
    rankers of every searcher of that state: the live documents and what is worked out from them."""

    def __init__(self, leaves: list):
        self.live = np.ones(sum(segment.size for segment, _reader, _offset in leaves), dtype=bool)
        for _segment, reader, offset in leaves:
            deleted = list(reader.deleted_docs_set)
            if deleted:
                self.live[offset + np.asarray(deleted, dtype=np.int64)] = False
        self.live.flags.writeable = False
        self.averages: dict[str, float] = {}
        self.language_sizes: dict[str, int] = {}
        self.facets: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.dates: dict[str, np.ndarray] = {}


_WHOLES: OrderedDict[tuple, _Whole] = OrderedDict()  # by the segments and their deletions, the latest last
_WHOLES_KEPT = 4
_WHOLES_LOCK = threading.Lock()


def _whole(leaves: list) -> _Whole:
    """The shared arrays of the index state a searcher sees. A segment's deletions only ever grow, so
    their number tells which they are."""
    key = tuple((segment.key, offset, len(reader.deleted_docs_set)) for segment, reader, offset in leaves)
    with _WHOLES_LOCK:
        found = _WHOLES.get(key)
        if found is not None:
            _WHOLES.move_to_end(key)
            return found
    found = _Whole(leaves)
    with _WHOLES_LOCK:
        found = _WHOLES.setdefault(key, found)
        _WHOLES.move_to_end(key)
        while len(_WHOLES) > _WHOLES_KEPT:
            _WHOLES.popitem(last=False)
    return found


class Ranker:
    """Evaluates queries over one searcher's whole index with array operations."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.weighting = searcher.weighting
        self.leaves = [(_segment(reader), reader, offset) for reader, offset in self.reader.leaf_readers()
                       if reader.doc_count_all()]  # an empty index has one reader, of no segment
        self.size = self.reader.doc_count_all()
        whole = _whole(self.leaves)
        self.live = whole.live
        self._norms: dict[str, np.ndarray] = {}  # by the searcher's weighting
        self._averages, self._language_sizes = whole.averages, whole.language_sizes
        self._facets, self._dates = whole.facets, whole.dates
        self._common: OrderedDict[tuple, Postings] = OrderedDict()  # see `common`
        self._common_size = 0
        self._common_lock = threading.Lock()

    def common(self, key: tuple, make: Callable[[], Postings]) -> Postings:
        """A lemma's postings (`Evaluation._lemma_frequencies`), kept between searches when the lemma is in
        more than 1 / COMMON_SHARE of the documents: the function words of questions ("och", "hur",
        "kuinka", "on") are in nearly every query and are the longest lists to read. At most
        COMMON_POSTINGS postings are kept, the least recently used dropped first."""
        with self._common_lock:
            found = self._common.get(key)
            if found is not None:
                self._common.move_to_end(key)
                return found
        found = make()
        if len(found.ids) * COMMON_SHARE >= self.size and len(found.ids) <= COMMON_POSTINGS:
            with self._common_lock:
                if key not in self._common:
                    found.ids.flags.writeable = found.score.flags.writeable = False  # shared from now on
                    self._common[key] = found
                    self._common_size += len(found.ids)
                while self._common_size > COMMON_POSTINGS:
                    _key, dropped = self._common.popitem(last=False)
                    self._common_size -= len(dropped.ids)
        return found

    # -- per-index arrays --------------------------------------------------------------------------
    def _joined(self, part) -> np.ndarray:
        return np.concatenate([part(segment, reader) for segment, reader, _offset in self.leaves]) \
            if self.leaves else np.empty(0)

    def _norm(self, fieldname: str) -> np.ndarray:
        """BM25F's length normalisation of a field, K1 * ((1 - B) + B * length / average length)."""
        if fieldname not in self._norms:
            b = bm25f_b(self.weighting, fieldname)
            k1 = self.weighting.K1
            average = self.searcher.avg_field_length(fieldname) or 1
            lengths = self._joined(lambda segment, reader: segment.lengths(reader, fieldname))
            self._norms[fieldname] = k1 * ((1 - b) + b * lengths / average)
        return self._norms[fieldname]

    def language_size(self, language: str) -> int:
        """How many live documents are in a language: the N of its idf."""
        if language not in self._language_sizes:
            codes, values = self.facet("language")
            code = values.index(language) if language in values else -2
            self._language_sizes[language] = int(np.count_nonzero((codes == code) & self.live))
        return self._language_sizes[language]

    def average_length(self, fieldname: str, language: str) -> float:
        """A field's average length over the live documents of its language (kb's BM25F)."""
        if fieldname not in self._averages:
            lengths = self._joined(lambda segment, reader: segment.lengths(reader, fieldname))
            self._averages[fieldname] = (lengths[self.live].sum() / max(1, self.language_size(language))) or 1.0
        return self._averages[fieldname]

    def facet(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(value index per document, -1 for none; the values) of a facet over the whole index."""
        if name not in self._facets:
            values: list[str] = []
            position: dict[str, int] = {}
            parts = []
            for segment, reader, _offset in self.leaves:
                codes, names = segment.facet(reader, name)
                remap = np.array([position.setdefault(v, len(position)) for v in names] + [-1], dtype=np.int32)
                parts.append(remap[codes])  # -1 indexes the trailing -1
            values = list(position)
            self._facets[name] = (np.concatenate(parts) if parts else np.empty(0, dtype=np.int32), values)
        return self._facets[name]

    def dates(self, name: str = "resolved") -> np.ndarray:
        if name not in self._dates:
            self._dates[name] = self._joined(lambda segment, reader: segment.dates(reader, name)).astype(np.int64)
        return self._dates[name]

    # -- evaluation --------------------------------------------------------------------------------
    def evaluate(self, query: q.Query) -> Scored:
        """The documents a query matches and their scores, as Whoosh would score them."""
        return Evaluation(self).run(query)

    def allowed(self, filters: dict[str, str | None]) -> np.ndarray:
        """Live documents whose facet fields have the given values (None: any)."""
        mask = self.live.copy()
        for name, value in filters.items():
            if value:
                codes, values = self.facet(name)
                mask &= codes == (values.index(value) if value in values else -2)
        return mask

    def top(self, scored: Scored, mask: np.ndarray, count: int, newest: bool = False,
            date: str = "resolved") -> list[int]:
        """The best `count` documents of `mask`: by score, or newest first (by the date column `date`).
        Equal scores go newest first, then in document order, so that ties do not depend on which writer
        process of a rebuild took a ticket."""
        dates = self.dates(date)
        candidates = np.flatnonzero(mask)
        key = dates[candidates] if newest else scored.score[candidates]
        if len(candidates) > count:
            keep = np.argpartition(-key, count - 1)[:count]
            threshold = key[keep].min()
            keep = np.flatnonzero(key >= threshold)  # every tie at the boundary, then the tie-breaks decide
            candidates, key = candidates[keep], key[keep]
        order = np.lexsort((candidates, -dates[candidates], -key))
        return candidates[order][:count].tolist()

    def facet_counts(self, mask: np.ndarray, names) -> dict[str, dict[str, int]]:
        """For each facet column named, how many of the documents in `mask` hold each value, most first."""
        counts = {}
        for name in names:
            codes, values = self.facet(name)
            found = codes[mask]
            tally = np.bincount(found[found >= 0], minlength=len(values))
            counts[name] = {values[i]: int(n) for i in np.argsort(-tally, kind="stable") if (n := tally[i]) and values[i]}
        return counts


class Evaluation:
    """Evaluates one request's queries: a term met twice (in the all-words query, then in its any-word
    fallback) is read once."""

    def __init__(self, ranker: Ranker, scoring: Scoring | None = None):
        self.ranker = ranker
        self.scoring = scoring or SCORING
        self._terms: dict[tuple[str, bytes], Scored] = {}
        self._lemmas: dict[tuple, Postings] = {}

    # -- kb's ranking --------------------------------------------------------------------------------
    def rank(self, plan: Plan) -> tuple[Scored, np.ndarray]:
        """(the plan's documents, scores and coverage; the documents matching all its content clauses).

        Every clause adds its score where it matches. Function words weigh min(1, function_share /
        content words), and in such long queries their idf is capped: a question's "jag ... mig" says
        how it is asked, not what about. A document matches when it matches any clause; in such long
        queries, any content clause: a function word scores but does not by itself make a match.

        Clauses are evaluated as `Postings` (only the documents they match), and added into one array
        per language: the work follows the posting lists, not the size of the index times the terms."""
        scoring = self.scoring
        size = self.ranker.size
        match, score, coverage = np.zeros(size, dtype=bool), np.zeros(size), np.zeros(size)
        every, coded = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
        for clauses in plan.clauses.values():
            content = [c for c in clauses if not c.function]
            share = min(1.0, scoring.function_share / len(content)) if content else 1.0
            total, covered, mass = np.zeros(size), np.zeros(size), 0.0
            matched = np.zeros(size, dtype=bool)
            held = np.zeros(size, dtype=np.int32)  # how many content clauses each document matches
            counted, missing = 0, False
            for clause in clauses:
                self._cap = scoring.function_idf if clause.function and share < 1.0 else None
                self._top_idf = 0.0
                found = self.postings(clause.query)
                if not clause.function or not content:
                    counted += 1
                    if not len(found.ids):
                        mass += (scoring.unknown_share if clause.name else 1.0) * clause.weight * self._top_idf
                        missing = True
                        continue
                    mass += clause.weight * self._top_idf
                    covered[found.ids] += clause.weight * self._top_idf
                    held[found.ids] += 1
                    if clause.code:
                        coded[found.ids] = True
                elif not len(found.ids):
                    continue
                total[found.ids] += (share if clause.function else 1.0) * found.score
                if not clause.function or share >= 1.0:
                    matched[found.ids] = True
            self._cap = None
            match |= matched
            score += total
            coverage += covered / (mass or 1.0)
            if not missing:
                every |= (held == counted) & matched
        if plan.excluded is not None:
            excluded = self.run(plan.excluded).match
            match &= ~excluded
            every &= ~excluded
        return Scored(match, np.where(match, score, 0.0), coverage, coded & match), every

    def matching_all(self, plan: Plan) -> np.ndarray:
        """The documents matching all content clauses of a plan's language (`rank`'s second answer,
        without scoring): stops at the first clause that leaves nothing."""
        found = []
        for clauses in plan.clauses.values():
            content = [c for c in clauses if not c.function] or clauses
            ids = None
            for clause in content:
                postings = self.postings(clause.query).ids
                ids = postings if ids is None else np.intersect1d(ids, postings, assume_unique=True)
                if not len(ids):
                    break
            found.append(ids)
        ids = np.unique(np.concatenate(found)) if found else NO_POSTINGS.ids
        if plan.excluded is not None and len(ids):
            ids = ids[~self.run(plan.excluded).match[ids]]
        return ids

    _cap: float | None = None  # the idf cap of the clause being evaluated
    _top_idf = 0.0  # the highest idf of a lemma (not a written form) of the clause being evaluated

    def postings(self, query: q.Query) -> Postings:
        """The documents a node of a ranked query (`query.plan`) matches, with their scores."""
        if isinstance(query, Lemma):
            return self.lemma(query)
        if isinstance(query, RankedPhrase):
            return _boosted(self.phrase(query), query.boost)
        if isinstance(query, LemmaPrefix):
            return self.combine([self.lemma(lemma) for lemma in query.lemmas(self.ranker.reader)], "best")
        if isinstance(query, Best):
            return _boosted(self.combine([self.postings(sub) for sub in query.subqueries], "best"), query.boost)
        if type(query) in (q.And, q.Or):  # a compound's parts together; a word's options
            if len(query.subqueries) == 1:  # as Whoosh, a one-part compound is its part, boost ignored
                return self.postings(query.subqueries[0])
            how = "all" if isinstance(query, q.And) else "sum"
            return _boosted(self.combine([self.postings(sub) for sub in query.subqueries], how), query.boost)
        scored = self.run(query)
        ids = np.flatnonzero(scored.match)
        return Postings(ids, scored.score[ids])

    def combine(self, parts: list[Postings], how: str) -> Postings:
        """Several postings as one: the documents of any ("sum" or "best" of their scores) or of all
        ("all", scores summed). Short lists are merged by sorting, long ones in an array of the index."""
        if how == "all" and any(not len(part.ids) for part in parts):
            return NO_POSTINGS
        parts = [part for part in parts if len(part.ids)]
        if len(parts) <= 1:
            return parts[0] if parts else NO_POSTINGS
        count = sum(len(part.ids) for part in parts)
        size = self.ranker.size
        if count * DENSE_SHARE >= size:
            score, held = np.zeros(size), np.zeros(size, dtype=np.int32)
            for part in parts:
                if how == "best":
                    score[part.ids] = np.maximum(score[part.ids], part.score)
                else:
                    score[part.ids] += part.score
                held[part.ids] += 1
            ids = np.flatnonzero(held == len(parts) if how == "all" else held)
            return Postings(ids, score[ids])
        ids = np.concatenate([part.ids for part in parts])
        order = np.argsort(ids, kind="stable")
        ids, score = ids[order], np.concatenate([part.score for part in parts])[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        merged = (np.maximum if how == "best" else np.add).reduceat(score, starts)
        if how == "all":
            whole = np.diff(np.r_[starts, len(ids)]) == len(parts)
            return Postings(ids[starts][whole], merged[whole])
        return Postings(ids[starts], merged)

    def lemma(self, node: Lemma) -> Postings:
        """BM25F: the lemma's frequencies in the fields, each weighted by its field's boost and
        normalised by its length, summed, then saturated once; Lucene's idf over the documents of the
        language."""
        key = (node.fields, node.text)
        found = self._lemmas.get(key)
        if found is None:
            found = self._lemmas[key] = self.ranker.common((*key, self.scoring.b),
                                                           lambda: self._lemma_frequencies(node))
        scoring = self.scoring
        df = len(found.ids)
        n = self.ranker.language_size(node.language)
        idf = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        if self._cap is not None:
            idf = min(idf, self._cap)
        if node.boost == 1.0:
            self._top_idf = max(self._top_idf, idf)
        if not df:
            return NO_POSTINGS
        tf = found.score
        return Postings(found.ids, node.boost * idf * tf * (scoring.k1 + 1) / (tf + scoring.k1))

    def _lemma_frequencies(self, node: Lemma) -> Postings:
        """The documents of a lemma (in any of its fields) and their BM25F pseudo-frequency: the weight
        (field boosts are in it) over the length normalisation, (1 - b) + b * length / average length."""
        ranker = self.ranker
        b = self.scoring.b
        parts = []
        for fieldname in node.fields:
            if fieldname not in ranker.schema:
                continue
            btext = ranker.schema[fieldname].to_bytes(node.text)
            average = None
            for segment, reader, offset in ranker.leaves:
                found = _raw_postings(segment, reader, fieldname, btext)
                if found is None:
                    continue
                if average is None:
                    average = ranker.average_length(fieldname, node.language)
                ids, weights = found
                norm = (1 - b) + b * segment.lengths(reader, fieldname)[ids] / average
                parts.append(Postings(ids.astype(np.int64) + offset, weights.astype(np.float64) / norm))
        return self.combine(parts, "sum")

    def phrase(self, node: RankedPhrase) -> Postings:
        """A phrase in any field, scored as its words."""
        ids = np.flatnonzero(self._by_matcher(q.Or(node.subqueries)).match)
        score = np.zeros(self.ranker.size)
        for word in node.words:
            found = self.lemma(word)
            score[found.ids] += found.score
        return Postings(ids, score[ids])

    def run(self, query: q.Query) -> Scored:
        if isinstance(query, (Lemma, RankedPhrase, LemmaPrefix, Best)):
            found = self.postings(query)
            scored = self._nothing()
            scored.match[found.ids] = True
            scored.score[found.ids] = found.score
            return scored
        if isinstance(query, q.Term):
            return self._boosted(self.term(query.fieldname, query.text), query.boost)
        if isinstance(query, q.MultiTerm):  # Completion, Prefix: an OR of the terms it expands to
            terms = [q.Term(fieldname, text) for fieldname, text in query.expanded_terms(self.ranker.reader)]
            if len(terms) == 1:  # Whoosh ignores the boost of a one-term expansion
                return self.run(terms[0])
            return self.run(q.Or(terms, boost=query.boost)) if terms else self._nothing()
        if isinstance(query, q.AndNot):
            positive, negative = self.run(query.a), self.run(query.b)
            match = positive.match & ~negative.match
            return Scored(match, np.where(match, positive.score, 0.0))
        if type(query) in (q.And, q.Or) and not getattr(query, "scale", None) and not getattr(query, "minmatch", 0):
            subs = query.subqueries
            if not subs:
                return self._nothing()
            if len(subs) == 1:  # Whoosh matches a one-part compound as its part, boost and all ignored
                return self.run(subs[0])
            parts = [self.run(sub) for sub in subs]
            match, score = parts[0].match.copy(), parts[0].score.copy()
            for part in parts[1:]:
                score += part.score  # 0 where a part does not match
                if isinstance(query, q.And):
                    match &= part.match
                else:
                    match |= part.match
            if isinstance(query, q.And):
                score[~match] = 0.0
            return self._boosted(Scored(match, score), query.boost)
        if isinstance(query, q.Every):
            return Scored(self.ranker.live.copy(), self.ranker.live.astype(np.float64))
        return self._by_matcher(query)

    def _boosted(self, scored: Scored, boost: float) -> Scored:
        return scored if boost == 1.0 else Scored(scored.match, scored.score * boost)

    def _nothing(self) -> Scored:
        return Scored(np.zeros(self.ranker.size, dtype=bool), np.zeros(self.ranker.size))

    def term(self, fieldname: str, text) -> Scored:
        ranker = self.ranker
        if fieldname not in ranker.schema:
            return self._nothing()
        field = ranker.schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return self._nothing()
        key = (fieldname, btext)
        if key in self._terms:
            return self._terms[key]
        scored = self._nothing()
        if key in ranker.reader:
            weighting = ranker.weighting
            idf = ranker.searcher.idf(fieldname, btext)
            k1 = weighting.K1
            norm = ranker._norm(fieldname) if field.scorable else None
            for _segment_arrays, reader, offset in ranker.leaves:
                if key not in reader:
                    continue
                ids, weights = posting_arrays(reader.postings(fieldname, btext))
                ids = ids + offset
                tf = weights.astype(np.float64)
                scored.match[ids] = True
                scored.score[ids] = idf * ((tf * (k1 + 1)) / (tf + norm[ids])) if norm is not None else tf
        self._terms[key] = scored
        return scored

    def _by_matcher(self, query: q.Query) -> Scored:
        """Any other query (phrases): Whoosh's own matcher, segment by segment."""
        scored = self._nothing()
        searcher = self.ranker.searcher
        for subsearcher, offset in searcher.leaf_searchers():
            matcher = query.matcher(subsearcher, subsearcher.context())
            while matcher.is_active():
                docnum = offset + matcher.id()
                scored.match[docnum] = True
                scored.score[docnum] = matcher.score()
                matcher.next()
        return scored


_RANKERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_RANKERS_LOCK = threading.Lock()


def ranker(searcher) -> Ranker:
    """The ranker of a searcher, made on its first search."""
    with _RANKERS_LOCK:
        found = _RANKERS.get(searcher)
        if found is None:
            found = _RANKERS[searcher] = Ranker(searcher)
        return found
