"""The posting format (indexer/engine/codec.py) and the array ranker (indexer/engine/ranking.py) against Whoosh itself."""
from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from sqlalchemy import select
from whoosh import query as q
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Positions

from indexer.engine import ranking
from indexer.engine.codec import KbCodec, posting_arrays
from indexer.query import build, parse
from indexer.schema import LANGUAGES
from indexer.searching import SearchRequest
from kb import tickets as workflow
from kb.db import writing
from kb.models import Ticket, User

# Ids far apart (uint32 deltas), close together (uint16), weights all 1, all equal, and different.
POSTINGS = [(0, 1.0, [0]), (3, 1.0, [1, 4]), (70_000, 2.0, [2]), (70_001, 2.0, [0, 9]), (70_002, 3.5, [7]),
            (300_000, 1.0, [5]), (300_009, 1.0, [1, 2, 3])]


@pytest.mark.parametrize("blocklimit", [2, 3, 512])
def test_postings_read_back_as_written(blocklimit):
    postfile = StructFile(BytesIO())
    codec = KbCodec(blocklimit=blocklimit)
    writer = codec.postings_writer(postfile)
    fmt = Positions()
    writer.start_postings(fmt, W3TermInfo())
    for docnum, weight, positions in POSTINGS:
        writer.add_posting(docnum, weight, fmt.encode(positions), length=len(positions))
    terminfo = writer.finish_postings()

    matcher = codec.postings_reader(postfile, terminfo, fmt)
    seen = []
    while matcher.is_active():  # Whoosh's matcher interface, as phrase queries use it
        seen.append((matcher.id(), matcher.weight(), matcher.value_as("positions")))
        matcher.next()
    assert seen == POSTINGS

    matcher = codec.postings_reader(postfile, terminfo, fmt)
    matcher.skip_to(70_001)
    assert matcher.id() == 70_001 and matcher.value_as("positions") == [0, 9]

    ids, weights = posting_arrays(codec.postings_reader(postfile, terminfo, fmt))
    assert ids.tolist() == [p[0] for p in POSTINGS] and weights.tolist() == [p[1] for p in POSTINGS]
    matcher = codec.postings_reader(postfile, terminfo, fmt)
    matcher.skip_to(70_002)  # from the block holding 70 002 on
    first = [p[0] for p in POSTINGS].index(70_002) // blocklimit * blocklimit
    assert posting_arrays(matcher)[0].tolist() == [p[0] for p in POSTINGS[first:]]


QUERIES = ["faktura", "moms rapport", "lönebesked skriva ut", "tilikausi", "palkka verokortti", "ärende",
           "leverantörsfaktura", "kuukauden palkka", "faktura zzzqqq", '"skriva ut" lönebesked', "moms -faktura",
           "palkka OR laskutus", "asiakas", "zzzqqq"]


def whoosh_top(searcher, query, allowed: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
    """Whoosh's own scores for every match (no early termination), best first, then newest, then by document."""
    hits = [(hit.docnum, hit.score, hit["resolved"]) for hit in searcher.search(query, limit=None)
            if allowed[hit.docnum]]
    return [(d, score) for d, score, _ in sorted(hits, key=lambda h: (-h[1], -h[2].timestamp(), h[0]))[:k]]


def ranker_top(ranker, query, allowed: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
    scored = ranker.evaluate(query)
    return [(d, float(scored.score[d])) for d in ranker.top(scored, scored.match & allowed, k)]


def assert_same_ranking(searcher, texts, typing=False):
    ranker = ranking.ranker(searcher)
    compared = 0
    for text in texts:
        for mode in ("free", "problem", "solution"):
            for conjunction in (q.And, q.Or):
                query = build(parse(text, as_you_type=typing), mode, LANGUAGES, conjunction=conjunction)
                if query is None:
                    continue
                expected = whoosh_top(searcher, query, ranker.live)
                got = ranker_top(ranker, query, ranker.live)
                assert [d for d, _ in got] == [d for d, _ in expected], (text, mode, conjunction)
                assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)
                scored = ranker.evaluate(query)
                assert int(np.count_nonzero(scored.match & ranker.live)) == \
                    len(searcher.search(query, limit=None)), (text, mode)
                compared += bool(expected)
    assert compared >= len(texts)  # most queries find something: the comparison is not of empty lists


def test_ranker_scores_as_whoosh_does(app):
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])  # one segment: prefixes expand the same way in both
    assert_same_ranking(ix.searcher(), QUERIES)
    assert_same_ranking(ix.searcher(), ["fakt", "lönebesk", "palkka verok"], typing=True)


def test_ranker_after_syncs_deletions_and_new_segments(app, db):
    database = app.extensions["kb_database"]
    ix = app.extensions["kb_index"]
    ix.rebuild(database)
    support = db.scalar(select(User).where(User.username == "support"))
    published = db.scalars(select(Ticket).where(Ticket.general.is_(True)).order_by(Ticket.id)).all()
    with writing(db):
        for ticket in published[:5]:  # deletions in the first segment
            workflow.set_general(db, ticket, support, False)
        ticket = published[6]  # an update: deleted in the old segment, added in a new one
        workflow.set_general(db, ticket, support, True, ticket.published_problem + " faktura moms",
                             ticket.published_solution)
    ix.sync(database)
    searcher = ix.searcher()
    assert len(list(searcher.reader().leaf_readers())) > 1 and searcher.reader().has_deletions()
    assert_same_ranking(searcher, QUERIES)
    assert ix.search(SearchRequest(text="", page_size=5)).total == searcher.doc_count()
    gone = {t.number for t in published[:5]}
    assert not gone & {h.number for h in ix.search(SearchRequest(text="", page_size=100)).hits}


def test_filters_facets_and_newest_match_whoosh(app):
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])
    searcher = ix.searcher()
    ranker = ranking.ranker(searcher)
    for language in LANGUAGES:
        allowed = ranker.allowed({"language": language})
        expected = {hit.docnum for hit in searcher.search(q.Term("language", language), limit=None)}
        assert set(np.flatnonzero(allowed).tolist()) == expected
    result = ix.search(SearchRequest(text="faktura", language="all"))
    whoosh_query = build(parse("faktura", as_you_type=True), "free", LANGUAGES)
    grouped = searcher.search(whoosh_query, limit=None, groupedby="product")
    assert result.facets["product"] == {k: len(v) for k, v in grouped.groups("product").items() if k}
    newest = ranker.top(ranker.evaluate(q.Every()), ranker.live, 20, newest=True)
    dates = [searcher.stored_fields(d)["resolved"] for d in newest]
    assert dates == sorted(dates, reverse=True)
    assert len(newest) == 20


@pytest.mark.parametrize("dense_share", [1, 10**9])  # merged by sorting, then in an array of the index
@pytest.mark.parametrize("how", ["sum", "best", "all"])
def test_postings_combine_as_sets_and_sums(app, monkeypatch, dense_share, how):
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])
    evaluation = ranking.Evaluation(ranking.ranker(ix.searcher()))
    size = evaluation.ranker.size
    monkeypatch.setattr(ranking, "DENSE_SHARE", dense_share)
    rng = np.random.default_rng(3)
    for _ in range(20):
        parts = []
        for _part in range(rng.integers(1, 4)):
            ids = np.unique(rng.integers(0, size, rng.integers(0, size)))
            parts.append(ranking.Postings(ids.astype(np.int64), rng.random(len(ids)) + 0.1))
        expected: dict[int, list[float]] = {}
        for part in parts:
            for doc, score in zip(part.ids.tolist(), part.score.tolist()):
                expected.setdefault(doc, []).append(score)
        if how == "all":
            expected = {d: s for d, s in expected.items() if len(s) == len(parts)}
        merged = evaluation.combine(parts, how)
        assert merged.ids.tolist() == sorted(expected)
        combined = max if how == "best" else sum
        assert merged.score.tolist() == pytest.approx([combined(expected[d]) for d in sorted(expected)])


def test_common_lemmas_kept_between_searches_within_budget(app, monkeypatch):
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])
    searcher = ix.searcher()
    ranker = ranking.ranker(searcher)
    request = dict(text="hur gör jag när fakturan och momsen inte stämmer", page_size=20)
    before = [(h.number, h.score) for h in ix.search(SearchRequest(**request)).hits]
    kept = dict(ranker._common)
    assert kept and all(len(p.ids) * ranking.COMMON_SHARE >= ranker.size for p in kept.values())
    assert all(not p.ids.flags.writeable for p in kept.values())  # shared arrays cannot be changed by a search
    assert [(h.number, h.score) for h in ix.search(SearchRequest(**request)).hits] == before
    monkeypatch.setattr(ranking, "COMMON_POSTINGS", max(len(p.ids) for p in kept.values()))
    ranker._common.clear()
    ranker._common_size = 0
    assert [(h.number, h.score) for h in ix.search(SearchRequest(**request)).hits] == before
    assert 0 < ranker._common_size <= ranking.COMMON_POSTINGS


def test_holds_answers_as_the_reader_and_keeps_each_segments_answer(app, db, index):
    from .test_search import published

    published(app, db, ("sv", "Zorblaxfilen saknas", "Zorblaxfilen läses inte in.", "Läs in den igen."))
    reader = index.searcher().reader()
    assert len(reader.leaf_readers()) >= 2
    answers = []
    for fieldname, text in [("problem_sv", "zorblaxfil"), ("problem_sv", "qqqnotaword"), ("title_fi", "zorblaxfil"),
                            ("problem_sv", "igen"), ("no_such_field", "x")]:
        expected = fieldname in reader.schema and (fieldname, text) in reader
        assert ranking.holds(reader, fieldname, text) is expected
        assert ranking.holds(reader, fieldname, text) is expected  # the kept answer
        answers.append(expected)
    assert True in answers and False in answers
    assert any(ranking._segment(leaf).held for leaf, _offset in reader.leaf_readers())
