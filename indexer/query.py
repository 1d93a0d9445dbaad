"""From what a user types to a Whoosh query. Never raises: odd syntax is searched as plain words.

Supported: words (all required, with a ranked-OR fallback done by the caller), "quoted phrases",
-exclusions (-word, -"phrase"), `OR` between two words or phrases, and the last word as a prefix while
typing. Field syntax (`title:x`) is not recognised, so no query can reach a field outside its mode.
"""
from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field

from whoosh import query as q

from .analysis import fold, language_analyzer
from .schema import MODES, analyzed_field

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
MAX_CLAUSES = 32  # more words than this are not a question; the rest is ignored
MAX_LENGTH = 1000


@dataclass
class Clause:
    """One thing the user asked for: alternatives joined by OR; each a word or a phrase."""

    alternatives: list[tuple[str, str]] = field(default_factory=list)  # ("word"|"phrase", text)


@dataclass
class ParsedQuery:
    clauses: list[Clause] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)
    prefix: str | None = None  # the last word, still being typed

    @property
    def words(self) -> list[str]:
        return [text for c in self.clauses for kind, text in c.alternatives if kind == "word"]

    @property
    def empty(self) -> bool:
        return not self.clauses


def parse(text: str, as_you_type: bool = True) -> ParsedQuery:
    """Split what the user typed into clauses; anything unexpected becomes a plain word."""
    text = (text or "")[:MAX_LENGTH]
    parsed = ParsedQuery()
    pending_or = False
    for match in TOKEN.finditer(text):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if phrase is not None:
            item = ("phrase", phrase.strip())
            if not item[1]:
                continue
        else:
            if word == "OR" and parsed.clauses:
                pending_or = True
                continue
            negated = "-" if word.startswith("-") and len(word) > 1 else ""
            item = ("word", word[1:] if negated else word)
        if negated:
            parsed.excluded.append(item)
        elif pending_or:
            parsed.clauses[-1].alternatives.append(item)
        elif len(parsed.clauses) < MAX_CLAUSES:
            parsed.clauses.append(Clause([item]))
        pending_or = False
    last = parsed.clauses[-1].alternatives[-1] if parsed.clauses else None
    if as_you_type and last and last[0] == "word" and text and not text[-1].isspace() and \
            not text.rstrip().endswith('"'):
        parsed.prefix = last[1]
    return parsed


def _positions(text: str, language: str) -> list[list[str]]:
    """The query terms of a text, grouped by position: [whole word term, compound parts...]."""
    groups: dict[int, list[str]] = {}
    for token in language_analyzer(language)(text, mode="query", positions=True):
        groups.setdefault(token.pos, []).append(token.text)
    return [groups[pos] for pos in sorted(groups)]


def _word_query(text: str, fields: list[tuple[str, str]]) -> q.Query | None:
    """A word in every (field, language) of the mode; a compound also matches its parts together."""
    options = []
    for fieldname, language in fields:
        for terms in _positions(text, language):
            whole = q.Term(fieldname, terms[0])
            if len(terms) > 1:
                parts = q.And([q.Term(fieldname, t) for t in terms[1:]], boost=0.5)
                options.append(q.Or([whole, parts]))
            else:
                options.append(whole)
    return q.Or(options) if options else None


def _phrase_query(text: str, fields: list[tuple[str, str]]) -> q.Query | None:
    options = []
    for fieldname, language in fields:
        terms = [group[0] for group in _positions(text, language)]
        if len(terms) == 1:
            options.append(q.Term(fieldname, terms[0]))
        elif terms:
            options.append(q.Phrase(fieldname, terms))
    return q.Or(options) if options else None


class Completion(q.Prefix):
    """A word being typed: its most common completions in a field, each scored like a word.

    'fakt' finds faktura, 'leverantörsf' leverantörsfaktura. Whoosh's Prefix would OR every term with the
    prefix at a constant score: hundreds of terms for two letters, every matching document scored alike.
    """

    LIMIT = 8

    def __init__(self, fieldname: str, text: str, boost: float = 1.0):
        super().__init__(fieldname, text, boost=boost, constantscore=False)

    def _btexts(self, ixreader):
        return heapq.nlargest(self.LIMIT, ixreader.expand_prefix(self.fieldname, self.text),
                              key=lambda term: ixreader.doc_frequency(self.fieldname, term))


def _prefix_query(word: str, fields: list[tuple[str, str]]) -> q.Query | None:
    """A word being typed: the lemmas that start with it, in the mode's fields."""
    folded = fold(word)
    if len(folded) < 2 or not folded.isalnum():
        return None
    return q.Or([Completion(fieldname, folded) for fieldname in dict.fromkeys(f for f, _language in fields)])


def build(parsed: ParsedQuery, mode: str, languages: tuple[str, ...], conjunction=q.And,
          parts: tuple[str, ...] | None = None) -> q.Query | None:
    """The Whoosh query for a parsed query in one search mode (or only in `parts`); None when nothing
    searchable is left."""
    parts = parts or MODES.get(mode, MODES["free"])
    fields = [(analyzed_field(part, language), language) for part in parts for language in languages]
    clauses = []
    for i, clause in enumerate(parsed.clauses):
        options = []
        for kind, text in clause.alternatives:
            sub = _word_query(text, fields) if kind == "word" else _phrase_query(text, fields)
            if parsed.prefix is not None and i == len(parsed.clauses) - 1 and text == parsed.prefix:
                prefix = _prefix_query(text, fields)
                sub = q.Or([s for s in (sub, prefix) if s is not None]) if (sub or prefix) else None
            if sub is not None:
                options.append(sub)
        if options:
            clauses.append(q.Or(options) if len(options) > 1 else options[0])
    if not clauses:
        return None
    positive = conjunction(clauses) if len(clauses) > 1 else clauses[0]
    excluded = [s for kind, text in parsed.excluded
                for s in [(_word_query if kind == "word" else _phrase_query)(text, fields)] if s is not None]
    return q.AndNot(positive, q.Or(excluded)) if excluded else positive
