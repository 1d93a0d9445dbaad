"""Bulk rebuild segments (indexer/engine/bulk.py) hold what stock Whoosh writes, posting by posting.

The reference is written by Whoosh's own SegmentWriter with Whoosh's own W3 codec (not kb's): what kb
writes is compared with what an unmodified whoosh-reloaded writes for the same documents. Where kb
deliberately differs, the comparison is of what a search reads:
- the posting files (.pst) hold kb's array blocks of 512 postings, not W3's pickles of 128, and so the
  term dictionary (.trm), which points into them, differs in offsets; every posting, weight, position
  and term statistic read back through them is compared instead (`by_number`);
- nothing else differs: stored fields, field lengths and columns are compared byte for byte.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

from indexer import engine
from indexer.documents import document, published_rows, row_document
from indexer.experience.drain import published_tickets
from indexer.query import build, parse
from indexer.schema import INDEX_NAME, LANGUAGES, build_schema
from indexer.searching import SearchRequest, run
from indexer.engine import WRITER_OPTIONS, open_index

from .test_ranking import QUERIES


# Stock Whoosh: its own codec and writer, segments as separate files (as kb's, so that they compare file by file).
STOCK = {"compound": False, "codec": W3Codec()}


def new_index(folder: Path):
    folder.mkdir()
    return engine.create_index(str(folder), build_schema(), INDEX_NAME)


@pytest.fixture
def documents(app):
    with app.extensions["kb_database"].session() as session:
        docs = [document(ticket) for ticket in session.scalars(published_tickets())]
    # Copies under other numbers, so that common words fill several 512-posting blocks.
    return [{**doc, "number": str(int(doc["number"]) + copy * 1_000_000)} for copy in range(20) for doc in docs]


def by_number(ix) -> dict:
    """Everything a search can read, keyed by ticket number: postings, lengths, stored fields."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        number = {d: fields["number"] for d, fields in reader.iter_docs()}
        postings, terms = {}, {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            entries = []
            while matcher.is_active():
                value = matcher.value_as("positions") if reader.schema[fieldname].format.supports("positions") \
                    else None
                entries.append((number[matcher.id()], matcher.weight(), value))
                matcher.next()
            postings[fieldname, text] = sorted(entries)
            info = reader.term_info(fieldname, text)
            terms[fieldname, text] = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(),
                                      info.max_weight())
        # A segment where no document has a field has no length column: Whoosh says None there, 0 elsewhere.
        lengths = {(number[d], f): reader.doc_field_length(d, f) or 0
                   for d in number for f in reader.schema.scorable_names()}
        stored = {number[d]: fields for d, fields in reader.iter_docs()}
        return {"postings": postings, "terms": terms, "lengths": lengths, "stored": stored,
                "field_lengths": {f: reader.field_length(f) for f in reader.schema.scorable_names()}}


def scores(searcher, query) -> dict:
    ranker = engine.ranker(searcher)
    scored = ranker.evaluate(query)
    return {searcher.stored_fields(d)["number"]: float(scored.score[d])
            for d in np.flatnonzero(scored.match & ranker.live)}


POSTINGS = (".pst", ".trm")  # the files of posting lists, which kb lays out its own way


def segment_files(folder: Path, segment_id: str) -> dict:
    """A segment's files by what follows its id in their names, with their bytes."""
    return {p.name.split(segment_id)[1]: p.read_bytes() for p in folder.glob(f"*{segment_id}*")}


def reference(folder: Path, documents):
    """The documents as stock Whoosh writes them (opened with Whoosh's own storage)."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname=INDEX_NAME)
    writer = ix.writer(**STOCK)
    for doc in documents:
        writer.add_document(**doc)
    writer.commit()
    return ix


def test_one_bulk_segment_reads_as_whooshs(tmp_path, documents):
    expected = reference(tmp_path / "whoosh", documents)
    ix = new_index(tmp_path / "bulk")
    segments = engine.write_segments(ix, documents)
    engine.commit(ix, segments)
    assert len(segments) == 1
    [whoosh_segment] = expected._segments()
    want = segment_files(tmp_path / "whoosh", whoosh_segment.segid)
    got = segment_files(tmp_path / "bulk", segments[0].segid)
    # Stored fields, lengths and columns byte for byte; the posting lists differ in their blocks (see the
    # module's docstring), so they are compared as a search reads them.
    assert all(kind in want and kind in got for kind in POSTINGS) and len(want) > len(POSTINGS)
    assert {k: v for k, v in got.items() if k not in POSTINGS} == {k: v for k, v in want.items() if k not in POSTINGS}
    assert sorted(p.name for p in (tmp_path / "bulk").glob("*.toc")) == ["_experience_1.toc"]
    assert by_number(ix) == by_number(expected)


def test_kb_codec_through_whooshs_writer_writes_what_stock_w3_writes(tmp_path, documents):
    """`kb index sync` writes through Whoosh's writer with KbCodec (blocks of Whoosh's pickled positions)."""
    docs = documents[:1500]
    expected = reference(tmp_path / "whoosh", docs)
    ix = new_index(tmp_path / "kb")
    writer = ix.writer(**engine.WRITER_OPTIONS)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    [want_segment], [got_segment] = expected._segments(), ix._segments()
    want, got = segment_files(tmp_path / "whoosh", want_segment.segid), segment_files(tmp_path / "kb", got_segment.segid)
    assert {k: v for k, v in got.items() if k not in POSTINGS} == {k: v for k, v in want.items() if k not in POSTINGS}
    assert by_number(ix) == by_number(expected)


def test_parallel_segments_hold_the_same_postings_and_rank_the_same(tmp_path, documents):
    expected = reference(tmp_path / "whoosh", documents)
    ix = new_index(tmp_path / "bulk")
    segments = engine.write_segments(ix, documents, procs=2, limitmb=0.5)
    engine.commit(ix, segments)
    assert len(segments) >= 4
    ix = open_index(str(tmp_path / "bulk"), INDEX_NAME)
    assert by_number(ix) == by_number(expected)
    with expected.searcher() as one, ix.searcher() as many:
        for text in QUERIES:
            for mode in ("free", "problem", "solution"):
                query = build(parse(text), mode, LANGUAGES)
                want, got = scores(one, query), scores(many, query)  # copies tie: compare all, by number
                assert got.keys() == want.keys(), (text, mode)
                assert [got[n] for n in want] == pytest.approx(list(want.values()), rel=1e-9)
            request = SearchRequest(text=text, language="all")
            got, want = run(many, request), run(one, request)
            assert (got.total, got.facets, got.suggestion) == (want.total, want.facets, want.suggestion)
        assert sum(bool(scores(one, build(parse(text), "free", LANGUAGES))) for text in QUERIES) >= 8


def test_a_failing_writer_process_stops_the_rebuild(tmp_path, documents):
    ix = new_index(tmp_path / "bulk")
    broken = documents[:500] + [{**documents[500], "no_such_field": "x"}] + documents[501:]
    with pytest.raises(engine.WriterFailed, match="no_such_field"):
        engine.write_segments(ix, broken, procs=2)
    assert ix.doc_count() == 0


def test_bulk_segments_merge_as_whooshs(tmp_path, documents):
    """`kb index sync` merges segments with Whoosh's writer, which reads array positions as Whoosh's values."""
    expected = reference(tmp_path / "whoosh", documents)
    expected.writer(**STOCK).commit(optimize=True)  # merging sums quantised lengths: do it to both
    ix = new_index(tmp_path / "bulk")
    engine.commit(ix, engine.write_segments(ix, documents, limitmb=0.5))
    assert len(ix._segments()) >= 2
    ix.writer(**engine.WRITER_OPTIONS).commit(optimize=True)
    assert len(ix._segments()) == 1
    assert by_number(ix) == by_number(expected)


def test_long_texts_keep_every_position(tmp_path, documents):
    """Positions and counts past one and two bytes (the block arrays' widths) read back as Whoosh's."""
    long = dict(documents[0], number="1", solution_sv=" ".join(["faktura"] * 70_000 + ["moms", "faktura"]),
                problem_sv=" ".join(f"ord{i % 300} leverantörsfaktura" for i in range(2_000)))
    docs = [long] + documents[:50]
    expected = reference(tmp_path / "whoosh", docs)
    ix = new_index(tmp_path / "bulk")
    engine.commit(ix, engine.write_segments(ix, docs))
    got = by_number(ix)
    assert got == by_number(expected)
    [(_, _, positions)] = [e for e in got["postings"]["solution_sv", b"moms"] if e[0] == "1"]
    assert positions == [70_000]


def test_a_field_without_words_is_left_out_as_by_whoosh(tmp_path, documents):
    docs = [dict(doc, problem_sv="", problem_fi=" … ") for doc in documents[:40]]
    expected = reference(tmp_path / "whoosh", docs)
    ix = new_index(tmp_path / "bulk")
    engine.commit(ix, engine.write_segments(ix, docs))
    got = by_number(ix)
    assert got == by_number(expected)
    assert not any(field.startswith("problem_") for field, _ in got["postings"])


def test_a_rebuild_reads_the_documents_a_sync_writes(app):
    """Rebuilds read rows (published_rows), syncs read tickets: both give each ticket the same document."""
    with app.extensions["kb_database"].session() as session:
        synced = sorted((document(ticket) for ticket in session.scalars(published_tickets())), key=lambda d: d["number"])
        rebuilt = sorted((row_document(row) for row in session.execute(published_rows())), key=lambda d: d["number"])
    assert len(rebuilt) >= 20 and rebuilt == synced
    assert all(any(doc[facet] for doc in rebuilt) for facet in ("product", "category", "version"))
