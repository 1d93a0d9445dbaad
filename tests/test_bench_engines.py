"""The benchmark's peer engines and relevance sets (benchmarks/engines.py, benchmarks/relevance.py)."""
from __future__ import annotations

import pytest

from benchmarks import relevance
from benchmarks.engines import NaiveWhoosh, StdlibBm25, Tantivy


def _doc(i: str, language: str, problem: str, solution: str = "") -> dict:
    return {"id": i, "language": language, "title": "", "problem": problem, "solution": solution, "product": None}


DOCS = [_doc("sv-1", "sv", "Hur ändrar jag lösenordet i portalen?", "Välj Inställningar och sedan Lösenord."),
        _doc("sv-2", "sv", "Fakturan går inte att skicka", "Kontrollera mottagarens adress."),
        _doc("fi-1", "fi", "Miten vaihdan salasanan?", "Valitse Asetukset ja sitten Salasana.")]


@pytest.fixture
def naive():
    engine = NaiveWhoosh()
    engine.build(DOCS)
    yield engine
    engine.close()


def test_naive_whoosh_matches_every_word_of_a_swedish_question(naive):
    # Swedish stop words (hur, jag, i) once went to the Finnish fields too, where nothing matched them.
    assert naive.search("Hur ändrar jag lösenordet i portalen", snippets=True) == ["sv-1"]
    assert naive.search("miten vaihdan salasanan") == ["fi-1"]
    assert naive.search("lösenordet faktura") == []
    assert naive.search("lösenordet faktura", any_word=True) == ["sv-1"]


def test_naive_whoosh_takes_operator_words_as_words(naive):
    assert naive.search("fakturan OR lösenordet") == []  # both words, not Whoosh's OR operator


def test_stdlib_bm25_all_words_or_any_word():
    engine = StdlibBm25()
    engine.build(DOCS)
    assert engine.search("fakturan skicka") == ["sv-2"]
    assert engine.search("fakturan lösenordet") == []
    assert engine.search("Lösenordet fakturan", any_word=True)[:2] in (["sv-1", "sv-2"], ["sv-2", "sv-1"])
    assert engine.search("lösenord", mode="solution") == ["sv-1"]  # Solution mode: that field alone
    assert engine.search("portalen", mode="solution") == []


def test_tantivy_stems_each_language_matches_all_words_or_any_and_searches_a_field_alone():
    engine = Tantivy(procs=1)
    engine.build(DOCS)
    try:
        assert engine.search("lösenord portal") == ["sv-1"]  # Snowball: lösenordet, portalen
        assert engine.search("salasanaa") == ["fi-1"]
        assert engine.search("fakturan lösenordet") == []
        assert sorted(engine.search("fakturan lösenordet", any_word=True)) == ["sv-1", "sv-2"]
        assert engine.search("lösenord", mode="solution") == ["sv-1"]
        assert engine.search("portalen", mode="solution") == []
        assert engine.search("fakturan", snippets=True) == ["sv-2"]
        assert engine.size() > 0
    finally:
        engine.close()


def test_stdlib_bm25_counts_a_repeated_query_word_once():
    engine = StdlibBm25()
    engine.build(DOCS)
    once = engine.search("adress lösenordet", any_word=True)
    assert engine.search("adress lösenordet lösenordet lösenordet", any_word=True) == once


@pytest.mark.skipif(not (relevance.SHARED / "construction-faq-sv").exists(), reason="no shared relevance data")
@pytest.mark.parametrize("name, figure", [("construction-faq-sv", 0.349), ("swequad-mc-sv", 0.795)])
def test_stdlib_bm25_reproduces_the_shared_readme(name, figure):
    docs, queries = relevance.folder(name)
    engine = StdlibBm25()
    engine.build(docs)
    rr = relevance.reciprocal_ranks([engine.search(q, any_word=True, snippets=False) for q, _ in queries], queries)
    assert round(relevance.metrics(rr)["mrr"], 3) == figure


def test_sets_are_chosen_by_name_label_or_first_part():
    assert [s.name for s in relevance.select(["swefaq"])] == ["swefaq-solution", "swefaq-free"]
    assert [s.name for s in relevance.select(["Turku paraphrases", "tpc-fi"])] == ["turku-sv", "tpc-fi"]
    with pytest.raises(SystemExit):
        relevance.select(["nope"])


def test_query_kinds():
    assert relevance.kind("bilaga saknas") == "keyword"
    assert relevance.kind("Hur ändrar jag lösenordet?") == "question"


def test_summary_picks_each_peers_better_strategy_and_the_best_peer():
    rset = relevance.RelevanceSet("t", "T", "sv", "free", lambda: None)
    queries = [("a b", {"d1"}), ("c d e f", {"d2"})]
    rankings = {"kb": {"product": [["d1"], ["x", "d2"]]},
                "stdlib BM25": {"and-or": [[], []], "or": [["d1"], ["d2"]]},
                "SQLite FTS5": {"and-or": [["x", "d1"], []], "or": [[], []]}}
    out = relevance.summarise(rset, [_doc("d1", "sv", ""), _doc("d2", "sv", "")], queries, rankings)
    assert out["engines"]["stdlib BM25"]["strategy"] == "or"
    assert out["engines"]["SQLite FTS5"]["strategy"] == "and-or"
    assert out["best_peer"] == "stdlib BM25"
    assert out["difference"][0] == pytest.approx(-0.25)
    assert out["query_kind"] == ["keyword", "question"]
