"""From what a user types to a Whoosh query. Never raises: odd syntax is searched as plain words.

Supported: words, "quoted phrases", -exclusions (-word, -"phrase"), `OR` between two words or phrases,
and the last word as a prefix when it is not a word of the index (while typing and after Enter alike).
In a sentence (`is_sentence`) a -word is a word: Finnish and Swedish write the compound of a name with a
space and a hyphen ("Cold Harbor -taistelu", "Visma Fivaldi -ohjelma"); -"phrase" still excludes.
Field syntax (`title:x`) is not recognised, so no query can reach a field outside its mode.

`plan` is what the experience database's search runs: a ranked query per language (see `engine.ranking`).
`build` is the plain Whoosh query of the same words (all of them, or any), for the title suggestions.

A word's terms at its position (`analysis`): its lemma, its compound parts, a folded fallback ("~", for
lemmas with å/ä/ö) and its form as written ("="). A word typed without å/ä/ö also asks for the
fallbacks it may stand for ('andra' -> ~andra, found in documents saying "ändra").
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from whoosh import query as q

from .analysis import FALLBACK, LANGUAGES, fold, is_fallback, is_function_word, is_surface, language_analyzer, spelled
from .engine.plan import Best, Completion, Lemma, LemmaPrefix, Plan, RankedClause, RankedPhrase
from .schema import MODES, analyzed_field

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
HYPHENS = re.compile(r"-+")
MAX_CLAUSES = 32  # more words than this are not a question; the rest is ignored
MAX_LENGTH = 1000
PARTS_WEIGHT = 0.5  # a compound's parts, found apart, count half as much as the whole word
SURFACE_WEIGHT = 0.3  # the word as written, on top of its lemma
SENTENCE_WORDS = 5  # a query of this many words is a sentence, as is one with a question mark or function word
_WORD = re.compile(r"\w+")


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


def is_sentence(text: str) -> bool:
    """Whether a query reads as a sentence rather than keywords: it has a question mark, a function word
    of either language, or SENTENCE_WORDS words. There a " -word" is the head of a compound spelled with
    a space ("missä käytiin Cold Harbor -taistelu"), which an exclusion would remove the answer for; one
    who excludes words types keywords ("alv -raportti")."""
    found = _WORD.findall(text)
    return "?" in text or len(found) >= SENTENCE_WORDS or \
        any(is_function_word(word, word.lower(), language) for word in found for language in LANGUAGES)


def parse(text: str, as_you_type: bool = True) -> ParsedQuery:
    """Split what the user typed into clauses; anything unexpected becomes a plain word."""
    text = (text or "")[:MAX_LENGTH]
    parsed = ParsedQuery()
    pending_or = False
    sentence = is_sentence(text)
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
            negated = "-" if word.startswith("-") and len(word) > 1 and not sentence else ""
            # In a sentence " -taistelu" is the word taistelu (also while typing: its prefix completes).
            item = ("word", word[1:] if negated else word.lstrip("-") if sentence and word.strip("-") else word)
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


@dataclass
class Word:
    """The query terms of one word: lemma, compound parts, fallbacks of a word typed without å/ä/ö, form."""

    typed: str
    lemma: str
    parts: list[str]
    fallbacks: list[str]
    forms: list[str]


def words(text: str, language: str) -> list[Word]:
    """The words of a text with their query terms, in order."""
    analyzer = language_analyzer(language)
    groups: dict[int, tuple[str, list[str]]] = {}
    for token in analyzer(text, mode="query", positions=True, keeporiginal=True):
        groups.setdefault(token.pos, (token.original, []))[1].append(token.text)
    found = []
    for pos in sorted(groups):
        typed, terms = groups[pos]
        rest = terms[1:]
        found.append(Word(typed, terms[0], [t for t in rest if not (is_surface(t) or is_fallback(t))],
                          list(analyzer.typed_fallbacks(typed.lower())), [t for t in rest if is_surface(t)]))
    return found


# -- plain Whoosh queries (title suggestions, exclusions) ---------------------------------------------

def _word_query(text: str, fields: list[tuple[str, str]]) -> q.Query | None:
    """A word in every (field, language) of the mode; a compound also matches its parts together."""
    options = []
    for fieldname, language in fields:
        for word in words(text, language):
            options += [q.Term(fieldname, t) for t in (word.lemma, *word.fallbacks)]
            if word.parts:
                options.append(q.And([q.Term(fieldname, t) for t in word.parts], boost=PARTS_WEIGHT))
    return q.Or(options) if options else None


def _phrase_query(text: str, fields: list[tuple[str, str]]) -> q.Query | None:
    options = []
    for fieldname, language in fields:
        terms = [word.lemma for word in words(text, language)]
        if len(terms) == 1:
            options.append(q.Term(fieldname, terms[0]))
        elif terms:
            options.append(q.Phrase(fieldname, terms))
    return q.Or(options) if options else None


def _prefixes(word: str) -> list[str]:
    """What a word being typed is a prefix of: lemma terms as spelled, and, typed without å/ä/ö, the
    folded fallback terms ('bankavstäm' -> bankavstäm; 'bankavstam' -> bankavstam, ~bankavstam)."""
    start = spelled(word)
    if len(start) < 2 or not start.isalnum():
        return []
    return [start, FALLBACK + start] if fold(start) == start else [start]


def _prefix_query(word: str, fields: list[tuple[str, str]]) -> q.Query | None:
    """A word being typed: the lemmas that start with it, in the mode's fields."""
    starts = _prefixes(word)
    names = dict.fromkeys(f for f, _language in fields)
    return q.Or([Completion(name, start) for name in names for start in starts]) if starts else None


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
    excluded = _excluded(parsed, fields)
    return q.AndNot(positive, excluded) if excluded is not None else positive


def _excluded(parsed: ParsedQuery, fields: list[tuple[str, str]]) -> q.Query | None:
    found = [s for kind, text in parsed.excluded
             for s in [(_word_query if kind == "word" else _phrase_query)(text, fields)] if s is not None]
    return (q.Or(found) if len(found) > 1 else found[0]) if found else None


# -- ranked queries: what the experience database's search runs ---------------------------------------

def _ranked_word(word: Word, fields: list[str], language: str) -> q.Query:
    """A word: its lemma (or the best of its fallbacks), its parts together, and its form as written."""
    segments = [segment for segment in HYPHENS.split(word.typed) if segment]
    apart = [_ranked_word(w, fields, language) for segment in segments for w in words(segment, language)[:1]] \
        if len(segments) > 1 else []
    if len(apart) > 1:
        # A hyphenated word ("nfl-draft", "peachtree-katua", "SEPA-betalning") is its whole term or its
        # words, each counted, whichever scores better: a text writes it joined or apart ("NFL Draft",
        # "Peachtree Street"), and names in it often stand alone.
        return Best([Lemma(fields, word.lemma, language), q.Or(apart)])
    lemma = Lemma(fields, word.lemma, language)
    options: list[q.Query] = [Best([lemma, *(Lemma(fields, t, language) for t in word.fallbacks)])
                              if word.fallbacks else lemma]
    if word.parts:
        options.append(q.And([Lemma(fields, t, language) for t in word.parts], boost=PARTS_WEIGHT))
    options += [Lemma(fields, t, language, boost=SURFACE_WEIGHT) for t in word.forms]
    return q.Or(options) if len(options) > 1 else options[0]


def _ranked(word: Word, fields: list[str], language: str, expand: Expand | None) -> q.Query:
    """A word as itself, or, unknown in the language, as what `expand` says it stands for."""
    alternatives, weight = expand(word, language) if expand else ([], 1.0)
    return _expanded(word, alternatives, weight, fields, language) if alternatives else \
        _ranked_word(word, fields, language)


def _ranked_phrase(found: list[Word], fields: list[str], language: str) -> q.Query | None:
    terms = [word.lemma for word in found]
    if len(terms) <= 1:
        return _ranked_word(found[0], fields, language) if found else None
    return RankedPhrase([q.Phrase(name, terms) for name in fields], [Lemma(fields, t, language) for t in terms])


# A word none of the index's words in a language: what it may stand for, as (words, weight); see `searching`.
Expand = Callable[[Word, str], tuple[list[str], float]]
# A code ("4012", "AADSTS50011", `is_code`) names the error: it counts double in the share of the query a
# ticket holds (`Hit.match`), and a ticket holding it passes the ticket form's floor. Not in the score: on
# SweFAQ the years and amounts of questions ranked worse (MRR@10 0.667 -> 0.659).
CODE_WEIGHT = 2.0


def is_code(word: str) -> bool:
    """An error code or a number worth finding exactly: three characters or more, one a digit."""
    return len(word) >= 3 and any(c.isdigit() for c in word)


def _expanded(word: Word, alternatives: list[str], weight: float, fields: list[str], language: str) -> q.Query:
    """A word by what it stands for (a glossary's translations, the index's words nearest a typo): the
    best of them, each scored as a word (a phrase of them: all its words), weighed by `weight`."""
    options = []
    for text in alternatives:
        found = words(text, language)
        lemmas = [Lemma(fields, w.lemma, language) for w in found]
        if lemmas:
            options.append(q.And(lemmas) if len(lemmas) > 1 else lemmas[0])
    return Best(options, boost=weight) if options else _ranked_word(word, fields, language)


def plan(parsed: ParsedQuery, mode: str, languages: tuple[str, ...], expand: Expand | None = None) -> Plan:
    """The ranked query of a parsed query: each lemma once per language, function words marked, codes
    weighed double in the share; `expand` gives a word unknown in a language what it stands for."""
    parts = MODES.get(mode, MODES["free"])
    result = Plan()
    for language in languages:
        fields = [analyzed_field(part, language) for part in parts]
        seen: set[str] = set()
        clauses = []
        for i, clause in enumerate(parsed.clauses):
            options, function, code, name = [], True, False, True
            for kind, text in clause.alternatives:
                found = words(text, language)
                if kind == "phrase":
                    sub = _ranked_phrase(found, fields, language)
                    function, name = False, False
                else:
                    found = [w for w in found if w.lemma not in seen]
                    seen.update(w.lemma for w in found)
                    subs = [_ranked(w, fields, language, expand) for w in found]
                    sub = (q.Or(subs) if len(subs) > 1 else subs[0]) if subs else None
                    function = function and all(is_function_word(w.typed, w.lemma, language) for w in found)
                    code = code or any(is_code(w.typed) for w in found)
                    name = name and bool(found) and all(w.typed[:1].isupper() for w in found)
                if parsed.prefix is not None and i == len(parsed.clauses) - 1 and text == parsed.prefix:
                    starts = _prefixes(text)
                    completion = LemmaPrefix(fields, starts, language) if starts else None
                    sub = q.Or([s for s in (sub, completion) if s is not None]) if (sub or completion) else None
                if sub is not None:
                    options.append(sub)
            if options:
                code = code and not function
                clauses.append(RankedClause(q.Or(options) if len(options) > 1 else options[0], function,
                                            CODE_WEIGHT if code else 1.0, code, name and not code))
        if clauses:
            result.clauses[language] = clauses
    result.excluded = _excluded(parsed, [(analyzed_field(p, lang), lang) for p in parts for lang in languages])
    return result
