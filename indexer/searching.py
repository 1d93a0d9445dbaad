"""Searching the experience database: three modes, AND with a ranked-OR fallback, facets, snippets."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from whoosh import collectors, highlight, scoring, sorting
from whoosh import query as q
from whoosh.searching import Searcher

from . import spelling
from .analysis import analyze, fold
from .query import ParsedQuery, build, parse
from .schema import LANGUAGES, MODES, analyzed_field

FACETS = ("product", "category", "version", "language")
SNIPPET_CHARS = 240
PAGE_SIZE = 10
MAX_SUBSET_CLAUSES = 3  # up to 14 sub-searches for the any-word fallback; longer questions search OR at once
SUGGEST_CANDIDATES = 200  # as-you-type ranks the first matches found, not every match of 100 000 tickets
# BM25F with stronger length normalisation than Whoosh's B=0.75: a long ticket names many words in
# passing. `make bench` relevance, B 0.75 -> 0.9 at K1=1.2: SweFAQ MRR@10 0.648 -> 0.651 (recall@10
# 0.84 -> 0.86), Turku 0.823 -> 0.831; B 0.5 and 0.6 were worse on both, K1 0.9-1.6 at B 0.9 all better.
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
    as_you_type: bool = True
    facets: bool = True
    snippets: bool = True

    def normalised(self) -> SearchRequest:
        self.mode = self.mode if self.mode in MODES else "free"
        self.language = self.language if self.language in LANGUAGES else "all"
        self.order = self.order if self.order in ("relevance", "newest") else "relevance"
        self.page = max(1, min(int(self.page or 1), 1000))
        self.page_size = max(1, min(int(self.page_size or PAGE_SIZE), 100))
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
    exact_total: bool = True  # False when `total` is an upper estimate (many matches, scored by the best only)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _filters(request: SearchRequest) -> q.Query | None:
    terms = [q.Term(name, value) for name, value in (
        ("language", None if request.language == "all" else request.language),
        ("product", request.product), ("category", request.category), ("version", request.version)) if value]
    return q.And(terms) if terms else None


def _languages(request: SearchRequest) -> tuple[str, ...]:
    return LANGUAGES if request.language == "all" else (request.language,)


def _snippet(hit, part: str) -> str:
    text = hit.get(part) or ""
    field_name = analyzed_field(part, hit["language"])
    try:
        marked = hit.highlights(field_name, text=text, top=2)
    except Exception:  # a highlighter failure must not fail the search; fall back to the text's start
        marked = ""
    if marked:
        return marked
    return _escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hit(hit, snippets: bool) -> Hit:
    resolved = hit.get("resolved")
    return Hit(number=int(hit["number"]), title=hit.get("title", ""), language=hit["language"],
               product=hit.get("product", ""), category=hit.get("category", ""), version=hit.get("version", ""),
               resolved_at=resolved.replace(tzinfo=timezone.utc) if resolved else None,
               score=round(float(hit.score or 0.0), 4),
               snippet_problem=_snippet(hit, "problem") if snippets else "",
               snippet_solution=_snippet(hit, "solution") if snippets else "")


def suggestion(searcher: Searcher, parsed: ParsedQuery, mode: str, languages: tuple[str, ...]) -> str | None:
    """'Did you mean': each word unknown to the mode's vocabulary replaced by its nearest known term."""
    fields = tuple(analyzed_field(part, language) for part in MODES.get(mode, MODES["free"]) for language in languages)
    reader = searcher.reader()
    changed, words = False, []
    for word in parsed.words:
        folded = fold(word)
        known = any((analyzed_field(part, language), term) in reader
                    for part in MODES.get(mode, MODES["free"]) for language in languages
                    for term in analyze(word, language)[:1])
        best = None if known or not folded.isalpha() else spelling.nearest(searcher, fields, folded)
        words.append(best or word)
        changed = changed or best is not None
    return " ".join(words) if changed else None


def _page(searcher: Searcher, query: q.Query, request: SearchRequest, kwargs: dict):
    """The hits up to the requested page. Whoosh may skip blocks that cannot reach the top, so the total
    is exact only when it had to look at every match (sorting, facets, or few matches)."""
    return searcher.search(query, limit=request.page * request.page_size, **kwargs)


def _total(searcher: Searcher, results) -> tuple[int, bool]:
    if results.has_exact_length():
        return len(results), True
    # Counting every match again costs more than the search; an upper estimate, capped, will do.
    return max(results.scored_length(), min(results.estimated_length(), searcher.doc_count())), False


def run(searcher: Searcher, request: SearchRequest) -> SearchResult:
    """Answer one search request; never raises on any input text."""
    request.normalised()
    parsed = parse(request.text, as_you_type=request.as_you_type)
    languages = _languages(request)
    kwargs = {"filter": _filters(request)}
    if request.order == "newest" or parsed.empty:
        kwargs.update(sortedby="resolved", reverse=True)
    if request.facets:
        kwargs["groupedby"] = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    query = build(parsed, request.mode, languages) if not parsed.empty else q.Every()
    if query is None:
        return SearchResult(total=0, page=request.page, page_size=request.page_size)
    results = _page(searcher, query, request, kwargs)
    matched_all = True
    if results.is_empty() and len(parsed.clauses) > 1:
        matched_all = False
        if "groupedby" in kwargs or "sortedby" in kwargs or len(parsed.clauses) > MAX_SUBSET_CLAUSES:
            results = _page(searcher, build(parsed, request.mode, languages, conjunction=q.Or), request, kwargs)
        else:
            results = None
    if results is not None:
        total, exact = _total(searcher, results)
        hits = [results[i] for i in range(results.scored_length())]
    else:
        hits, total, exact = _best_of_some_words(searcher, parsed, request, languages, kwargs)
    first = (request.page - 1) * request.page_size
    result = SearchResult(total=total, page=request.page, page_size=request.page_size, matched_all=matched_all,
                          exact_total=exact,
                          hits=[_hit(_with_snippets(hit), request.snippets) for hit in hits[first:first + request.page_size]])
    if results is not None and request.facets:
        result.facets = {name: {str(v): n for v, n in sorted(results.groups(name).items(), key=lambda kv: -kv[1]) if v}
                         for name in FACETS}
    if not parsed.empty and (total == 0 or not matched_all):
        result.suggestion = suggestion(searcher, parsed, request.mode, languages)
    return result


def _with_snippets(hit):
    hit.results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    hit.results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
    return hit


def _best_of_some_words(searcher: Searcher, parsed: ParsedQuery, request: SearchRequest,
                        languages: tuple[str, ...], kwargs: dict) -> tuple[list, int, bool]:
    """The ranked any-word answer when no ticket has all the words, without scoring every ticket with any.

    No ticket matches all n words, so each ticket matches some proper subset S of them, and its any-word
    score is its score for "all words of S". Hence the any-word top k is the best of the top k of each
    S (2^n - 2 searches), and each of those is an AND that Whoosh answers by skipping. The total follows
    by inclusion-exclusion over the subsets' counts.
    """
    n = len(parsed.clauses)
    best: dict[int, object] = {}
    total, exact = 0, True
    for size in range(1, n):
        for subset in itertools.combinations(range(n), size):
            clauses = [parsed.clauses[i] for i in subset]
            sub = replace(parsed, clauses=clauses, prefix=parsed.prefix if subset[-1] == n - 1 else None)
            query = build(sub, request.mode, languages)
            if query is None:
                continue
            results = _page(searcher, query, request, kwargs)
            count, counted = _total(searcher, results)
            total += count if size % 2 else -count
            exact = exact and counted
            for i in range(results.scored_length()):
                hit = results[i]
                if hit.docnum not in best or hit.score > best[hit.docnum].score:
                    best[hit.docnum] = hit
    hits = sorted(best.values(), key=lambda h: (-h.score, h.docnum))
    return hits, max(total, len(hits)) if exact else min(max(total, len(hits)), searcher.doc_count()), exact


class _FirstMatches(collectors.WrappingCollector):
    """Collects only the first `candidates` matching documents (best first within them): bounded work."""

    def __init__(self, child: collectors.Collector, candidates: int):
        super().__init__(child)
        self.candidates = candidates
        self.seen = 0

    def collect_matches(self):
        if self.seen >= self.candidates:
            return
        for sub_docnum in self.child.matches():
            self.child.collect(sub_docnum)
            self.seen += 1
            if self.seen >= self.candidates:
                return


def titles(searcher: Searcher, text: str, language: str = "all", limit: int = 10) -> list[Hit]:
    """As-you-type: up to `limit` tickets whose titles match the words typed (the last one as a prefix)."""
    request = SearchRequest(text=text, mode="free", language=language, page_size=limit, facets=False,
                            snippets=False).normalised()
    parsed = parse(text, as_you_type=True)
    if parsed.empty:
        return []
    query = build(parsed, "free", _languages(request), parts=("title",))
    if query is None:
        return []
    collector = _FirstMatches(searcher.collector(limit=limit, filter=_filters(request)), SUGGEST_CANDIDATES)
    searcher.search_with_collector(query, collector)
    return [_hit(h, False) for h in collector.results()]


def related(searcher: Searcher, number: int, limit: int = 5) -> list[Hit]:
    """More like this: documents sharing the most distinctive terms of the ticket's problem and solution."""
    docnum = searcher.document_number(number=str(number))
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    text = " ".join((stored.get("title", ""), stored.get("problem", ""), stored.get("solution", "")))
    field_name = analyzed_field("problem", stored["language"])
    hits = searcher.more_like(docnum, field_name, text=text, top=limit,
                              filter=q.Term("language", stored["language"]))
    return [_hit(h, False) for h in hits]


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
            "score": h.score, "url": url(h.number)} for h in result.hits],
        "facets": result.facets,
        "suggestion": result.suggestion,
    }
