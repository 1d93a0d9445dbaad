"""Searching the desk index: support's "Find any ticket" over every ticket, open or closed, published or
not, comments and internal notes included; and the past tickets related to one.

The words are parsed, analysed and ranked as in the experience database (`query.plan`, `engine`), in
all three parts at once; filters narrow by organisation, status, product and registration date.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from . import engine
from .query import parse, plan
from .schema import DESK_FACETS, LANGUAGES, analyzed_field
from .searching import PAGE_SIZE, Snippets, opening

SOLVED = ("resolved", "closed")  # a "past ticket": the statuses related tickets are drawn from


@dataclass
class DeskRequest:
    text: str = ""
    organisation: int | None = None
    status: str | None = None
    product: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None  # inclusive
    order: str = "relevance"  # relevance | newest
    page: int = 1
    page_size: int = PAGE_SIZE

    def normalised(self) -> DeskRequest:
        self.order = self.order if self.order in ("relevance", "newest") else "relevance"
        self.page = max(1, min(int(self.page or 1), 1000))
        self.page_size = max(1, min(int(self.page_size or PAGE_SIZE), 100))
        return self


@dataclass
class DeskHit:
    number: int
    title: str
    language: str
    status: str
    organisation: int | None
    product: str
    registered_at: datetime
    score: float
    snippet: str = ""


@dataclass
class DeskResult:
    total: int
    page: int
    page_size: int
    hits: list[DeskHit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _date_key(searcher: Searcher, day: date) -> int:
    """A day's midnight (UTC) as the registration column holds it, for comparing with `Ranker.dates`."""
    value = searcher.schema["registered"].to_column_value(datetime.combine(day, time()))
    return int(np.array([value], dtype=np.uint64).astype(np.int64)[0])


def _allowed(searcher: Searcher, ranker: engine.Ranker, request: DeskRequest) -> np.ndarray:
    allowed = ranker.allowed({"organisation": str(request.organisation) if request.organisation else None,
                              "status": request.status, "product": request.product})
    if request.registered_from or request.registered_to:
        dates = ranker.dates("registered")
        if request.registered_from:
            allowed &= dates >= _date_key(searcher, request.registered_from)
        if request.registered_to:
            allowed &= dates < _date_key(searcher, request.registered_to + timedelta(days=1))
    return allowed


def run(searcher: Searcher, request: DeskRequest) -> DeskResult:
    """Answer one desk search; never raises on any input text. No words: every ticket the filters allow,
    newest first."""
    request.normalised()
    engine.share_segments(searcher)
    parsed = parse(request.text, as_you_type=False)
    ranker = engine.ranker(searcher)
    allowed = _allowed(searcher, ranker, request)
    evaluation = engine.Evaluation(ranker)
    if parsed.empty:
        query = None
        scored = evaluation.run(q.Every())
    else:
        ranked = plan(parsed, "free", LANGUAGES)
        query = ranked.query()
        if query is None:
            return DeskResult(total=0, page=request.page, page_size=request.page_size)
        scored, _every = evaluation.rank(ranked)
    matched = scored.match & allowed
    first = (request.page - 1) * request.page_size
    docnums = ranker.top(scored, matched, first + request.page_size,
                         newest=request.order == "newest" or parsed.empty, date="registered")[first:]
    snippets = Snippets(searcher, query) if query is not None else None
    hits = [_hit(searcher.stored_fields(d), scored.score[d], snippets) for d in docnums]
    return DeskResult(total=int(np.count_nonzero(matched)), page=request.page, page_size=request.page_size,
                      hits=hits, facets=ranker.facet_counts(matched, DESK_FACETS))


def _hit(stored: dict, score: float, snippets: Snippets | None) -> DeskHit:
    # The first part the query's words mark (problem, with the comments; then solution), or the problem's start.
    marks = (snippets.marked(stored, part) for part in ("problem", "solution")) if snippets else ()
    snippet = next((marked for marked in marks if marked), "") or opening(stored.get("problem") or "")
    return DeskHit(number=int(stored["number"]), title=stored.get("title", ""), language=stored["language"],
                   status=stored.get("status", ""), organisation=int(stored["organisation"]) if stored.get(
                       "organisation") else None, product=stored.get("product", ""),
                   registered_at=stored["registered"].replace(tzinfo=timezone.utc), score=round(float(score), 4),
                   snippet=snippet)


def related(searcher: Searcher, number: int, limit: int = 5) -> list[int]:
    """The resolved or closed tickets sharing the most distinctive words of a ticket's subject, description,
    comments and solution, in its language: the numbers, most alike first."""
    engine.share_segments(searcher)
    docnum = searcher.document_number(number=str(number))
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    text = " ".join((stored.get("title", ""), stored.get("problem", ""), stored.get("solution", "")))
    past = q.And([q.Term("language", stored["language"]), q.Or([q.Term("status", s) for s in SOLVED])])
    hits = searcher.more_like(docnum, analyzed_field("problem", stored["language"]), text=text, top=limit,
                              filter=past)
    return [int(h["number"]) for h in hits]
