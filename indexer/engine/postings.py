"""The postings of one rebuild segment, collected in memory as arrays and written a posting list at a time.

Whoosh's writer turns each field of each document into postings one term at a time: a Token object per
term, a dict of position lists, each list pickled (Positions.encode), each posting a tuple through an
external sort. For the analysed text fields of a rebuild (`bulk`), TextPostings instead
keeps three flat arrays per field: the term id of every term occurrence, how many terms each word has
(a word and its compound parts share a position) and how many words each document has. Turning them
into posting lists at the end of a segment is a few numpy sorts (`_inverted`), and the positions are
written as arrays (`codec.write_field`). Other fields (ticket number, facets, date: a few terms each)
go through their field's own `index` and `add`, as in Whoosh.

The language analysis is not known here: a field is written this way when its analyzer is a
`WordAnalyzer` (it splits a text into words and a word into its terms), as kb's analyzers are.

What a search reads from the result is what Whoosh's own writer gives for the same documents:
tests/test_bulk.py compares every posting, position, weight, length and stored field.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable
from itertools import chain
from typing import Protocol, runtime_checkable

import numpy as np
from whoosh.formats import Positions

from ._whoosh import field_lengths
from .codec import write_field

POSTING_BYTES = 24  # what one posting of another field costs, roughly
OCCURRENCE_BYTES = 56  # what one term occurrence costs at the end of a segment (the arrays and their sorts)
WORD_CACHE_LIMIT = 1_000_000


@runtime_checkable
class WordAnalyzer(Protocol):
    """What bulk writing needs of a text field's analyzer: the terms it indexes, a word at a time, at one
    position per word (a word and, say, its compound parts share a position)."""

    def words(self, value: str) -> Iterable[str]:
        """A text's words as written, in order."""

    def word_terms(self, word: str) -> Iterable[str]:
        """The terms of one (lower-cased) word, as the analyzer indexes them."""


class TermIds:
    """One language's terms as numbers, and each word as written as the numbers of its terms, for one
    writer process (its segments' postings refer to them until they are written)."""

    def __init__(self, analyzer: WordAnalyzer):
        self.analyzer = analyzer
        self.texts: list[str] = []
        self._ids: dict[str, int] = {}
        self.words = _WordTermIds(self)

    def id(self, text: str) -> int:
        number = self._ids.get(text)
        if number is None:
            number = self._ids[text] = len(self.texts)
            self.texts.append(text)
        return number


class _WordTermIds(dict):
    """Word as written -> its terms' ids; a new word is analysed as the analyzer would index it."""

    def __init__(self, terms: TermIds):
        super().__init__()
        self.terms = terms

    def __missing__(self, word: str) -> tuple[int, ...]:
        if len(self) >= WORD_CACHE_LIMIT:
            self.clear()
        ids = self[word] = tuple(map(self.terms.id, self.terms.analyzer.word_terms(word.lower())))
        return ids


_TERM_IDS: dict[WordAnalyzer, TermIds] = {}


def term_ids(analyzer: WordAnalyzer) -> TermIds:
    """This process's term numbers for an analyzer's language."""
    if analyzer not in _TERM_IDS:
        _TERM_IDS[analyzer] = TermIds(analyzer)
    return _TERM_IDS[analyzer]


def bulk_text_field(field) -> bool:
    """Whether TextPostings can index a field: a word analyzer, positions, nothing stored or kept beside."""
    return (isinstance(field.analyzer, WordAnalyzer) and type(field.format) is Positions and field.scorable
            and not field.stored and not field.vector and not field.column_type and not field.separate_spelling())


class TextPostings:
    """One analysed text field's term occurrences in a segment, in document and position order."""

    def __init__(self, field):
        self.terms = term_ids(field.analyzer)
        self.boost = field.format.field_boost
        self.occurrences = array("I")  # the term id of each term of each word
        self.word_terms = array("I")  # each word's number of terms
        self.docs = array("I")  # each document with words in the field
        self.doc_words = array("I")  # its number of words

    def add(self, docnum: int, value: str) -> int:
        """Add a document's text; returns the field's length in the document (its number of terms)."""
        per_word = list(map(self.terms.words.__getitem__, self.terms.analyzer.words(value)))
        if not per_word:
            return 0
        before = len(self.occurrences)
        self.occurrences.extend(chain.from_iterable(per_word))
        self.word_terms.extend(map(len, per_word))
        self.docs.append(docnum)
        self.doc_words.append(len(per_word))
        return len(self.occurrences) - before

    def size(self) -> int:
        return OCCURRENCE_BYTES * len(self.occurrences)

    def posting_lists(self, doccount: int) -> tuple:
        """The field's posting lists as `codec.write_field` takes them: terms, where each term's postings
        start, and per posting its document id, weight, number of positions and position deltas."""
        texts, ids, counts, deltas, term_starts = _inverted(
            np.frombuffer(self.occurrences, dtype=np.uint32), np.frombuffer(self.word_terms, dtype=np.uint32),
            np.frombuffer(self.docs, dtype=np.uint32), np.frombuffer(self.doc_words, dtype=np.uint32), doccount,
            self.terms.texts)
        weights = counts * float(self.boost)  # Whoosh: each position adds the token's boost (1.0)
        return [text.encode("utf-8") for text in texts], term_starts, ids, weights, counts, deltas


def _inverted(occurrences, word_terms, docs, doc_words, doccount: int, texts: list[str]):
    """Term occurrences in document order turned into posting lists in term order: the terms' texts,
    then per posting its document id, position count and (flat) position deltas, and where each term's
    postings start (the end appended)."""
    word_docs = np.repeat(docs.astype(np.int64), doc_words)
    first_words = np.repeat(np.cumsum(doc_words, dtype=np.int64) - doc_words, doc_words)
    word_positions = np.arange(len(word_terms), dtype=np.int64) - first_words
    occurrence_docs = np.repeat(word_docs, word_terms)
    positions = np.repeat(word_positions, word_terms)
    present = np.zeros(len(texts), dtype=bool)
    present[occurrences] = True
    used = np.flatnonzero(present)
    used_texts = [texts[i] for i in used.tolist()]
    order = sorted(range(len(used_texts)), key=used_texts.__getitem__)  # Whoosh's order: the terms' bytes
    rank = np.zeros(len(texts), dtype=np.int64)
    rank[used[order]] = np.arange(len(order), dtype=np.int64)
    # Occurrences are in document and position order already: a stable sort by term keeps that order.
    ranks = rank[occurrences]
    keys = ranks * doccount + occurrence_docs
    sort = np.argsort(ranks, kind="stable")
    keys, positions = keys[sort], positions[sort]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    posting_keys = keys[starts]
    counts = np.diff(np.append(starts, len(keys)))
    deltas = positions.copy()
    deltas[1:] -= positions[:-1]
    deltas[starts] = positions[starts]  # Whoosh's encoding: each posting's first position from 0
    posting_ranks = posting_keys // doccount
    term_starts = np.flatnonzero(np.concatenate(([True], posting_ranks[1:] != posting_ranks[:-1])))
    return ([used_texts[i] for i in order], posting_keys % doccount, counts, deltas,
            np.append(term_starts, len(posting_ranks)))


class BulkPool:
    """The postings of one segment: analysed text fields as TextPostings, other fields per term as
    document ids and weights. It stands in for Whoosh's PostingPool."""

    def __init__(self):
        self.fieldnames: set[str] = set()
        self._size = 0  # bytes, roughly, of the other fields
        self._texts: dict[str, TextPostings] = {}
        self._fields: dict[str, dict[bytes, tuple[array, array]]] = {}

    @property
    def size(self) -> int:
        return self._size + sum(text.size() for text in self._texts.values())

    def add_text(self, fieldname: str, field, docnum: int, value: str) -> int:
        postings = self._texts.get(fieldname)
        if postings is None:
            postings = self._texts[fieldname] = TextPostings(field)
        length = postings.add(docnum, value)
        if length:  # a field is written when some document has a term in it, as Whoosh does
            self.fieldnames.add(fieldname)
        return length

    def add(self, fieldname: str, tbytes: bytes, docnum: int, weight: float) -> None:
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = (array("I"), array("d"))
            self._size += 300 + len(tbytes)
        postings[0].append(docnum)
        postings[1].append(weight)
        self._size += POSTING_BYTES

    def write(self, schema, perdoc, doccount: int, fieldwriter) -> None:
        """Write every posting list, fields and terms in order, through the segment's field writer."""
        for fieldname in sorted(self.fieldnames):
            field = schema[fieldname]
            lengths = field_lengths(perdoc, fieldname, doccount)
            fieldwriter.start_field(fieldname, field)
            if fieldname in self._texts:
                terms, term_starts, ids, weights, counts, deltas = self._texts.pop(fieldname).posting_lists(doccount)
                write_field(fieldwriter, terms, term_starts, ids, weights, lengths, counts, deltas)
            else:
                postings = self._fields.pop(fieldname)
                terms = sorted(postings)
                sizes = [len(postings[term][0]) for term in terms]
                write_field(fieldwriter, terms, np.concatenate(([0], np.cumsum(sizes))),
                            np.concatenate([np.frombuffer(postings[t][0], dtype=np.uint32) for t in terms]).astype(np.int64),
                            np.concatenate([np.frombuffer(postings[t][1], dtype=np.float64) for t in terms]), lengths)
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        self._texts.clear()
        self._fields.clear()
