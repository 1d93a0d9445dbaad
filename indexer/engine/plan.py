"""The vocabulary of a ranked query: the nodes that `query.plan` builds and `ranking.Evaluation` scores.

Each node is also a Whoosh query (an OR of its field terms), so snippets and suggestions can run it
through Whoosh as they are; the ranking reads their fields, texts and languages.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from whoosh import query as q


class Completion(q.Prefix):
    """A word being typed: its most common completions in a field, each scored like a word.

    'fakt' finds faktura, 'leverantörsf' leverantörsfaktura. Whoosh's Prefix would OR every term with the
    prefix at a constant score: hundreds of terms for two letters, every matching document scored alike.
    """

    LIMIT = 8

    def __init__(self, fieldname: str, text: str, boost: float = 1.0):
        super().__init__(fieldname, text, boost=boost, constantscore=False)

    def _btexts(self, ixreader):
        # The terms with their statistics, read where the terms are: no second look-up per term.
        best = heapq.nlargest(self.LIMIT, ixreader.iter_prefix(self.fieldname, self.text),
                              key=lambda item: item[1].doc_frequency())
        return [text for text, _info in best]


class Lemma(q.Or):
    """One term of one language in several fields (title, problem, solution), scored as one term with
    BM25F (`ranking.Evaluation.lemma`); to Whoosh (snippets, suggestions) an OR of the field terms."""

    def __init__(self, fields: list[str], text: str, language: str, boost: float = 1.0):
        super().__init__([q.Term(name, text) for name in fields], boost=boost)
        self.fields = tuple(fields)
        self.text = text
        self.language = language


class Best(q.Or):
    """Alternatives for one word (its lemma and the fallbacks of a word typed without å/ä/ö): a document
    scores by the best of them, not their sum."""


class LemmaPrefix(q.Or):
    """A word being typed: its most common completions in the fields, scored as the best of them."""

    def __init__(self, fields: list[str], starts: list[str], language: str):
        super().__init__([Completion(name, start) for name in fields for start in starts])
        self.fields = tuple(fields)
        self.language = language

    def lemmas(self, reader) -> list[Lemma]:
        counts: dict[str, int] = {}
        for completion in self.subqueries:
            for _name, btext in completion.expanded_terms(reader):
                text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
                counts[text] = counts.get(text, 0) + reader.doc_frequency(completion.fieldname, btext)
        best = heapq.nlargest(Completion.LIMIT, counts, key=counts.get)
        return [Lemma(list(self.fields), text, self.language) for text in best]


class RankedPhrase(q.Or):
    """Words in order: matched as a phrase in any one field, scored as the sum of its words' lemmas."""

    def __init__(self, phrases: list[q.Phrase], words: list[Lemma]):
        super().__init__(phrases)
        self.words = words


@dataclass
class RankedClause:
    """One thing asked for, in one language: its query, and whether it is a function word."""

    query: q.Query
    function: bool = False
    weight: float = 1.0  # how much it counts in the share of the query a ticket holds (`Scored.coverage`)
    code: bool = False  # an error code or number ("4012"): a ticket holding it is worth showing
    name: bool = False  # written with a capital ("Fivaldi"): if no ticket holds it, a product's or firm's name


@dataclass
class Plan:
    """A ranked query per language: every clause scores what it matches, and exclusions remove documents."""

    clauses: dict[str, list[RankedClause]] = field(default_factory=dict)
    excluded: q.Query | None = None

    def query(self) -> q.Query | None:
        """All of it as one Whoosh query (for snippets)."""
        subs = [c.query for clauses in self.clauses.values() for c in clauses]
        if not subs:
            return None
        positive = q.Or(subs) if len(subs) > 1 else subs[0]
        return q.AndNot(positive, self.excluded) if self.excluded is not None else positive
