"""'Did you mean' over an index of several segments: the big ones searched as one vocabulary."""
from __future__ import annotations

from indexer import spelling
from indexer.schema import LANGUAGES, MODES, analyzed_field
from indexer.searching import SearchRequest

from .test_search import published

FIELDS = tuple(analyzed_field(part, language) for part in MODES["free"] for language in LANGUAGES)


def test_segments_merged_into_one_vocabulary_answer_as_each_alone(app, db, index, monkeypatch):
    published(app, db, ("sv", "Semesterlöneskulden blir fel", "Semesterlöneskulden beräknas fel.", "Kör om."))
    published(app, db, ("sv", "Semesterlöneskulden igen", "Semesterloneskulden syns dubbelt.", "Kör om igen."),
              ("fi", "Käyttäjätunnus lukittui", "Käyttäjätunnukseni lukittui.", "Avaa käyttäjätunnus."))
    searcher = index.searcher()
    assert len(searcher.reader().leaf_readers()) >= 2
    typos = ["semesterlöneskulen", "kayttajatunus", "semesterloneskuld", "lukittu"]
    monkeypatch.setattr(spelling, "MERGE_FROM", 10**9)  # every segment alone
    alone = [spelling.nearest(searcher, FIELDS, typo) for typo in typos]
    monkeypatch.setattr(spelling, "MERGE_FROM", 1)  # every segment merged
    assert [spelling.nearest(searcher, FIELDS, typo) for typo in typos] == alone
    assert alone[:2] == ["semesterlöneskuld", "käyttäjätunnus"]
    assert any(key[0] == "merged" for key in spelling._vocabularies_kept)
    result = index.search(SearchRequest(text="semesterlöneskulen", language="sv", as_you_type=False))
    assert result.suggestion == "semesterlöneskuld"
