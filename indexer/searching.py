"""Searching the experience database: three modes, one ranked query, facets, snippets, did-you-mean."""
from __future__ import annotations

import bisect
import heapq
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
from whoosh import collectors, highlight, scoring
from whoosh import query as q
from whoosh.searching import Searcher

from . import engine, glossary, spelling
from .analysis import TOKEN, KbAnalyzer, fold, shown
from .query import ParsedQuery, Word, build, parse, plan
from .query import words as query_words
from .schema import FACETS, LANGUAGES, MODES, analyzed_field

SNIPPET_CHARS = 240
SURROUND = 60  # characters of context around a snippet's marked words
MARK_CLASSES = 5  # term0 ... term4, then again from term0
PAGE_SIZE = 10
# The "Already answered?" panel of the ticket form shows only answers holding this share of what is
# typed (`Hit.match`): nothing rather than unrelated answers. `python -m benchmarks.deflection`: 92.5% of
# the answers kb ranks first are still shown, one in five unanswerable questions shows something.
DEFLECTION_MATCH = 0.5
SUGGEST_CANDIDATES = 200  # as-you-type ranks the first matches found, not every match of 100 000 tickets
# Whoosh's own scoring, for what Whoosh ranks itself: the title suggestions while typing and related
# tickets. The experience-database search ranks with `engine.Scoring` (see docs/architecture.md).
WEIGHTING = scoring.BM25F(B=0.9, K1=1.2)


@dataclass
class SearchRequest:
    text: str = ""
    mode: str = "free"  # free | problem | solution
    language: str = "all"  # sv | fi | all
    page: int = 1
    page_size: int = PAGE_SIZE
    product: str | None = None
    category: str | None = None
    version: str | None = None
    order: str = "relevance"  # relevance | newest
    # Accepted for the pages' and API's sake but no longer changes the answer: the last word is completed
    # as a prefix only when it is no word of the index, while typing and after Enter alike.
    as_you_type: bool = True
    facets: bool = True
    snippets: bool = True
    min_match: float = 0.0  # only tickets holding at least this share of the query's content (0-1)

    def normalised(self) -> SearchRequest:
        self.mode = self.mode if self.mode in MODES else "free"
        self.language = self.language if self.language in LANGUAGES else "all"
        self.order = self.order if self.order in ("relevance", "newest") else "relevance"
        self.page = max(1, min(int(self.page or 1), 1000))
        self.page_size = max(1, min(int(self.page_size or PAGE_SIZE), 100))
        self.min_match = max(0.0, min(float(self.min_match or 0.0), 1.0))
        return self


@dataclass
class Hit:
    number: int
    title: str
    language: str
    product: str
    category: str
    version: str
    resolved_at: datetime | None
    score: float
    match: float = 1.0  # the share of the query's content (weighed by rarity) that the ticket holds
    snippet_problem: str = ""
    snippet_solution: str = ""


@dataclass
class SearchResult:
    total: int
    page: int
    page_size: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    matched_all: bool = True  # False when the ranked-OR fallback answered

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _languages(request: SearchRequest) -> tuple[str, ...]:
    return LANGUAGES if request.language == "all" else (request.language,)


class Snippets:
    """Highlighted passages of a hit's problem and solution: the words of the query that are in them.

    Whoosh's `Hit.highlights`, without a Results object: the query's terms in a field are found once per
    search, not once per hit.
    """

    def __init__(self, searcher: Searcher, query: q.Query):
        self.searcher = searcher
        self.query = query
        self.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SURROUND)
        self.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
        self.scorer = highlight.BasicFragmentScorer()
        self._words: dict[str, frozenset[str]] = {}
        self._marks: dict[str, dict[str, str | None]] = {}  # by field: a word's marked term (None: unmarked)
        self._seen: dict[str, int] = {}  # a marked word's class number, as Whoosh's HtmlFormatter numbers them

    def words(self, field_name: str) -> frozenset[str]:
        """The query's terms in a field (a word being typed: its completions). Not looked up: a term
        that no document has marks nothing."""
        if field_name not in self._words:
            reader = self.searcher.reader()
            self._words[field_name] = frozenset(
                text.decode("utf-8") if isinstance(text, bytes) else text
                for leaf in self.query.leaves() if leaf.field() == field_name
                for _name, text in leaf.expanded_terms(reader, phrases=True))
        return self._words[field_name]

    def __call__(self, stored: dict, part: str) -> str:
        """The passages of a part that the query's words mark, or else its beginning."""
        return self.marked(stored, part) or opening(stored.get(part) or "")

    def marked(self, stored: dict, part: str) -> str:
        """The passages of a part that the query's words mark, as HTML; "" when none."""
        return self._mark(stored.get(part) or "", analyzed_field(part, stored["language"]))

    def _mark(self, text: str, field_name: str) -> str:
        words = self.words(field_name)
        if not words or not text:
            return ""
        analyzer = self.searcher.schema[field_name].analyzer
        if isinstance(analyzer, KbAnalyzer):
            return self._passages(text, analyzer, field_name, words)
        tokens = analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = engine.merge_matched_tokens(highlight.set_matched_filter(tokens, words))
        fragments = highlight.top_fragments(self.fragmenter.fragment_tokens(text, tokens), 2, self.scorer,
                                            highlight.FIRST, minscore=1)
        return self.formatter.format(fragments)

    def _passages(self, text: str, analyzer: KbAnalyzer, field_name: str, words: frozenset[str]) -> str:
        """The two passages of a text with the most (and most diverse) marked words, in text order: each
        from SURROUND characters before its first mark to SURROUND after its last, at most SNIPPET_CHARS.
        A word is looked up once a search, its terms from the analyzer's cache; no token stream is made."""
        marks = self._marks.setdefault(field_name, {})
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer ("İ"): positions would move
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        found = TOKEN.findall(lowered)
        for word in set(found).difference(marks):
            marks[word] = next((t for t in analyzer.word_terms(word) if t in words), None)
        marked = [(i, marks[word]) for i, word in enumerate(found) if marks[word] is not None]
        if not marked:
            return ""
        # Where each word is: the next occurrence of its text (a word starts with a letter or digit, and
        # none is left between two words), cheaper than a match object a word.
        starts, ends, at = [], [], 0
        for word in found:
            at = lowered.find(word, at)
            starts.append(at)
            at += len(word)
            ends.append(at)
        passages, done, i = [], 0, 0
        while i < len(marked):
            begin = starts[bisect.bisect_left(starts, max(done, starts[marked[i][0]] - SURROUND))]
            members = [marked[i]]
            i += 1
            while i < len(marked) and ends[marked[i][0]] - begin <= SNIPPET_CHARS \
                    and starts[marked[i][0]] - ends[members[-1][0]] <= SURROUND:
                members.append(marked[i])
                i += 1
            last = ends[members[-1][0]]
            limit = min(last + SURROUND, begin + SNIPPET_CHARS)
            finish = max(last, ends[max(0, bisect.bisect_right(ends, limit) - 1)])
            passages.append((len(members) * len({term for _i, term in members}), -begin, begin, finish, members))
            done = finish
        best = sorted(heapq.nlargest(2, passages), key=lambda passage: passage[2])
        return " … ".join(self._format(text, starts, ends, begin, finish, members)
                          for _score, _order, begin, finish, members in best)

    def _format(self, text: str, starts: list, ends: list, begin: int, finish: int, members: list) -> str:
        out, at = [], begin
        for i, _term in members:
            start, end = starts[i], ends[i]
            out.append(html.escape(text[at:start], quote=False))
            shown_word = html.escape(text[start:end], quote=False)
            number = self._seen.setdefault(shown_word, len(self._seen) % MARK_CLASSES)
            out.append(f'<mark class="match term{number}">{shown_word}</mark>')
            at = end
        out.append(html.escape(text[at:finish], quote=False))
        return "".join(out)


def opening(text: str) -> str:
    """The beginning of a text as a snippet (HTML-escaped), when no word of the query marks it."""
    text = text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hit(stored: dict, score: float, snippets: Snippets | None = None, match: float = 1.0) -> Hit:
    resolved = stored.get("resolved")
    return Hit(number=int(stored["number"]), title=stored.get("title", ""), language=stored["language"],
               product=stored.get("product", ""), category=stored.get("category", ""),
               version=stored.get("version", ""),
               resolved_at=resolved.replace(tzinfo=timezone.utc) if resolved else None,
               score=round(float(score or 0.0), 4), match=round(float(match), 3),
               snippet_problem=snippets(stored, "problem") if snippets else "",
               snippet_solution=snippets(stored, "solution") if snippets else "")


def suggestion(searcher: Searcher, parsed: ParsedQuery, mode: str, languages: tuple[str, ...]) -> str | None:
    """'Did you mean': each word unknown to the mode's vocabulary replaced by its nearest known term."""
    fields = tuple(analyzed_field(part, language) for part in MODES.get(mode, MODES["free"]) for language in languages)
    reader = searcher.reader()
    changed, words = False, []
    for word in parsed.words:
        best = None if _known(reader, word, mode, languages) or not fold(word).isalpha() \
            else spelling.nearest(searcher, fields, word)
        words.append(_shown(reader, best, mode, languages) if best else word)
        changed = changed or best is not None
    return " ".join(words) if changed else None


def _shown(reader, term: str, mode: str, languages: tuple[str, ...]) -> str:
    """An index term as a word, in the language whose fields hold it ('lonebesked' -> 'lönebesked')."""
    language = next((language for language in languages for part in MODES.get(mode, MODES["free"])
                     if engine.holds(reader, analyzed_field(part, language), term)), languages[0])
    return shown(term, language)


def _known(reader, text: str, mode: str, languages: tuple[str, ...]) -> bool:
    """Whether a word's lemma, or a fallback of a word typed without å/ä/ö, is in a field of the mode."""
    return any(engine.holds(reader, analyzed_field(part, language), term)
               for language in languages for word in query_words(text, language)
               for term in (word.lemma, *word.fallbacks) for part in MODES.get(mode, MODES["free"]))


# A long word none of the index's words (a typo in a compound: "semsterlöneskulden") is also searched as
# the index's words nearest it, at FUZZY_WEIGHT: one edit from 9 letters, two from 16.
FUZZY_LENGTHS = ((16, 2), (9, 1))
FUZZY_WEIGHT = 0.5


def expansion(searcher: Searcher, mode: str) -> Callable[[Word, str], tuple[list[str], float]]:
    """What a word none of the mode's words in a language stands for (`query.plan`'s `expand`): an English
    support word's translations (`glossary`), else the nearest words of a long word; nothing for a known word."""
    reader = searcher.reader()
    parts = MODES.get(mode, MODES["free"])

    def expand(word: Word, language: str) -> tuple[list[str], float]:
        if any(engine.holds(reader, analyzed_field(part, language), term)
               for term in (word.lemma, *word.fallbacks) for part in parts):
            return [], 1.0
        translated = glossary.translations(word.typed, language)
        if translated:
            return list(translated), glossary.GLOSSARY_WEIGHT
        distance = next((d for length, d in FUZZY_LENGTHS if len(word.lemma) >= length), 0)
        if not distance or not fold(word.lemma).isalpha():
            return [], 1.0
        fields = tuple(analyzed_field(part, language) for part in parts)
        return spelling.near(searcher, fields, word.lemma, distance), FUZZY_WEIGHT

    return expand


# "Did you mean" is looked for only where the answer is poor: fewer than SUGGEST_BELOW tickets, or none
# holding SUGGEST_MATCH of the query (`Scored.coverage`). A query answered well has no typo worth a
# look-up in the vocabulary (about 2 ms a question at 100 000 tickets, `spelling.py`).
SUGGEST_BELOW = 10
SUGGEST_MATCH = 0.5


def _poor(scored: engine.Scored, matched: np.ndarray, total: int) -> bool:
    if total < SUGGEST_BELOW or scored.coverage is None:
        return True
    return float(scored.coverage[matched].max()) < SUGGEST_MATCH


def _clearly_more(evaluation: engine.Evaluation, text: str, mode: str, languages: tuple[str, ...],
                  allowed: np.ndarray, found: int) -> bool:
    """Whether a corrected query finds clearly more tickets with all its words than the query typed."""
    corrected = plan(parse(text, as_you_type=False), mode, languages)
    if not corrected.clauses:
        return False
    return int(np.count_nonzero(allowed[evaluation.matching_all(corrected)])) > 2 * found


def run(searcher: Searcher, request: SearchRequest) -> SearchResult:
    """Answer one search request; never raises on any input text.

    Every matching ticket is scored (`engine.ranking`), so the total, the facet counts and the order are exact.
    """
    request.normalised()
    engine.share_segments(searcher)
    parsed = parse(request.text, as_you_type=True)
    languages = _languages(request)
    ranker = engine.ranker(searcher)
    if parsed.prefix is not None and _known(ranker.reader, parsed.prefix, request.mode, languages):
        parsed.prefix = None  # a whole word is searched as itself, while typing and after Enter alike
    allowed = ranker.allowed({"language": None if request.language == "all" else request.language,
                              "product": request.product, "category": request.category,
                              "version": request.version})
    evaluation = engine.Evaluation(ranker)
    if parsed.empty:
        query = q.Every()
        scored, every = evaluation.run(query), ranker.live
    else:
        ranked = plan(parsed, request.mode, languages, expansion(searcher, request.mode))
        query = ranked.query()
        if query is None:
            return SearchResult(total=0, page=request.page, page_size=request.page_size)
        scored, every = evaluation.rank(ranked)
    if request.min_match and scored.coverage is not None:
        # The error code a customer quotes ("Fel 4012" and a vague description) is enough to show its answer.
        held = scored.coverage >= request.min_match
        allowed = allowed & (held | scored.coded if scored.coded is not None else held)
    matched = scored.match & allowed
    matched_all = bool((every & allowed).any())
    first = (request.page - 1) * request.page_size
    newest = request.order == "newest" or parsed.empty
    docnums = ranker.top(scored, matched, first + request.page_size, newest=newest)[first:]
    snippets = Snippets(searcher, query) if request.snippets else None
    result = SearchResult(total=int(np.count_nonzero(matched)), page=request.page, page_size=request.page_size,
                          matched_all=matched_all,
                          hits=[_hit(searcher.stored_fields(d), scored.score[d], snippets,
                                     1.0 if scored.coverage is None else scored.coverage[d]) for d in docnums])
    if request.facets:
        result.facets = ranker.facet_counts(matched, FACETS)
    if not parsed.empty and _poor(scored, matched, result.total):
        corrected = suggestion(searcher, parsed, request.mode, languages)
        # Against the words as typed, not their expansions: "semsterlöneskulden" finds its answer through
        # the words nearest it, and is still shown as it should have been spelled.
        typed = evaluation.matching_all(plan(parsed, request.mode, languages)) if corrected else None
        if corrected and _clearly_more(evaluation, corrected, request.mode, languages, allowed,
                                       int(np.count_nonzero(allowed[typed]))):
            result.suggestion = corrected
    return result



class _FirstMatches(collectors.WrappingCollector):
    """Collects only the first `candidates` matching documents (best first within them): bounded work."""

    def __init__(self, child: collectors.Collector, candidates: int):
        super().__init__(child)
        self.candidates = candidates
        self.seen = 0

    def set_subsearcher(self, subsearcher, offset):
        # Once the candidates are found, a later segment adds none: its matchers (a prefix expanded over
        # its term dictionary) are not built. At 100 000 tickets this was most of a suggestion's time.
        if self.seen < self.candidates:
            super().set_subsearcher(subsearcher, offset)

    def collect_matches(self):
        if self.seen >= self.candidates:
            return
        for sub_docnum in self.child.matches():
            self.child.collect(sub_docnum)
            self.seen += 1
            if self.seen >= self.candidates:
                return


def suggest(searcher: Searcher, text: str, language: str = "all", limit: int = 10) -> list[Hit]:
    """As-you-type: up to `limit` tickets whose titles match the words typed (the last one as a prefix)."""
    request = SearchRequest(text=text, mode="free", language=language, page_size=limit, facets=False,
                            snippets=False).normalised()
    parsed = parse(text, as_you_type=True)
    if parsed.empty:
        return []
    query = build(parsed, "free", _languages(request), parts=("title",))
    if query is None:
        return []
    engine.share_segments(searcher)
    only = q.Term("language", request.language) if request.language != "all" else None
    collector = _FirstMatches(searcher.collector(limit=limit, filter=only), SUGGEST_CANDIDATES)
    searcher.search_with_collector(query, collector)
    return [_hit(h.fields(), h.score) for h in collector.results()]


def related(searcher: Searcher, number: int, limit: int = 5) -> list[Hit]:
    """More like this: documents sharing the most distinctive terms of the ticket's problem and solution."""
    engine.share_segments(searcher)
    docnum = searcher.document_number(number=str(number))
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    text = " ".join((stored.get("title", ""), stored.get("problem", ""), stored.get("solution", "")))
    field_name = analyzed_field("problem", stored["language"])
    hits = searcher.more_like(docnum, field_name, text=text, top=limit,
                              filter=q.Term("language", stored["language"]))
    return [_hit(h.fields(), h.score) for h in hits]


def as_json(result: SearchResult, url: Callable[[int], str]) -> dict:
    """The shape of the search API, shared by `kb search --json`."""
    return {
        "total": result.total,
        "page": result.page,
        "pages": result.pages,
        "results": [{
            "number": h.number, "title": h.title, "snippet_problem": h.snippet_problem,
            "snippet_solution": h.snippet_solution, "product": h.product, "category": h.category,
            "language": h.language, "resolved_at": h.resolved_at.isoformat() if h.resolved_at else None,
            "score": h.score, "match": h.match, "url": url(h.number)} for h in result.hits],
        "facets": result.facets,
        "suggestion": result.suggestion,
    }
