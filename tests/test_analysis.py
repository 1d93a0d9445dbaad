"""The analyzers of the experience database: inflections, compounds, folding, positions, pickling, Whoosh."""
from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import pytest
from whoosh import query as q
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from benchmarks.conflation import conflation
from indexer.analysis import analyze, fallback_term, fold, language_analyzer, shown
from indexer.lexicon import Lexicon

DATA_DIRS = (Path(__file__).resolve().parent / "data",
             Path(__file__).resolve().parents[2] / "shared" / "relevance")


def whole(word: str, language: str) -> str:
    """The whole-word term of one word."""
    return analyze(word, language)[0]


def treebank(name: str) -> Path:
    """A treebank from tests/data (the first 300 sentences), else from the shared evaluation folder."""
    for folder in DATA_DIRS:
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} is in neither {DATA_DIRS[0]} nor {DATA_DIRS[1]}")


@pytest.mark.parametrize("language,forms", [
    ("sv", ["ärendet", "ärende", "ärenden"]),
    ("sv", ["fakturan", "fakturor", "faktura"]),
    ("fi", ["tilikauden", "tilikausi", "tilikautta"]),
    ("fi", ["palkkalaskelman", "palkkalaskelma"]),
    ("fi", ["käyttäjätunnus", "käyttäjätunnuksen"]),
])
def test_inflected_forms_conflate(language, forms):
    assert len({whole(form, language) for form in forms}) == 1


def test_unrelated_words_stay_apart():
    assert whole("faktura", "sv") != whole("fakta", "sv")
    assert whole("tili", "fi") != whole("tilaus", "fi")


@pytest.mark.parametrize("language,word,parts", [
    ("sv", "leverantörsfaktura", ["faktura", "leverantör"]),
    ("sv", "leverantörsfakturan", ["faktura", "leverantör"]),
    ("sv", "semesterlöneskuld", ["skuld"]),
    ("fi", "käyttäjätunnus", ["tunnus", "käyttäjä"]),
    ("fi", "käyttäjätunnuksen", ["tunnus", "käyttäjä"]),
    ("fi", "arvonlisäverolaskelma", ["laskelma"]),
    ("fi", "tilikauden", ["tili", "kausi"]),
])
def test_compounds_are_found_by_their_parts(language, word, parts):
    terms = analyze(word, language)
    for part in parts:
        assert whole(part, language) in terms[1:], (word, part, terms)


def test_an_unknown_compound_gets_its_heads_lemma():
    assert whole("leverantörsfakturorna", "sv") == whole("leverantörsfaktura", "sv")
    # simplemma's rules cut these base forms down to their first part ("käyttäjä"), not their other forms.
    for base, form in (("käyttäjäryhmä", "käyttäjäryhmän"), ("palkkajakso", "palkkajaksolla")):
        assert whole(base, "fi") == whole(form, "fi") == base
    assert whole("korvaani", "fi") == "korva"  # a possessive ending is no compound head


@pytest.mark.parametrize("language,typed,written", [
    ("sv", "arendet", "ärendet"),
    ("sv", "arende", "ärendet"),
    ("fi", "paivitys", "päivitys"),
    ("fi", "kayttajatunnus", "käyttäjätunnuksen"),
    ("fi", "tilikauden", "tilikautta"),
])
def test_words_typed_without_diacritics_match(language, typed, written):
    assert whole(typed, language) == whole(written, language)


def test_fold():
    assert fold("Ärendet ÅÄÖ é ü ø") == "arendet aao e u o"
    assert fold("Päivitys") == "paivitys"
    assert fold("A\u030arsskifte") == "arsskifte"  # decomposed å, as some browsers send it


def test_compound_parts_share_the_words_position():
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in language_analyzer("sv")(
        "Leverantörsfakturan fastnar", positions=True, chars=True, mode="index")]
    assert tokens[0] == ("leverantörsfaktura", 0, 0, 19)
    assert [text for text, pos, _, _ in tokens if pos == 0] == [
        "leverantörsfaktura", "leverantör", "faktura", "~leverantorsfaktura", "=leverantörsfakturan"]
    assert [text for text, pos, _, _ in tokens if pos == 1] == [whole("fastnar", "sv"), "=fastnar"]


def test_queries_get_parts_only_when_they_ask_for_positions():
    analyzer = language_analyzer("sv")
    assert [t.text for t in analyzer("leverantörsfakturan", mode="query")] == ["leverantörsfaktura"]
    grouped = [(t.text, t.pos) for t in analyzer("leverantörsfakturan", mode="query", positions=True)]
    assert grouped == [("leverantörsfaktura", 0), ("leverantör", 0), ("faktura", 0), ("~leverantorsfaktura", 0),
                       ("=leverantörsfakturan", 0)]


def test_whoosh_keyword_arguments_are_honoured():
    analyzer = language_analyzer("fi")
    tokens = [(t.text, t.original, t.removestops, t.mode) for t in analyzer(
        "Tilikauden", keeporiginal=True, removestops=False, mode="index")]
    assert tokens[0] == ("tilikausi", "Tilikauden", False, "index")
    assert [t.text for t in analyzer("Tilikauden avaaminen", no_morph=True)] == ["tilikauden", "avaaminen"]
    assert [t.text for t in analyzer("Ärende 4012", tokenize=False)][:1] == ["ärende 4012"]


def test_start_pos_and_start_char_are_honoured():
    tokens = [(t.pos, t.startchar) for t in language_analyzer("fi")(
        "tili auki", positions=True, chars=True, start_pos=5, start_char=10)]
    assert sorted(set(tokens)) == [(5, 10), (6, 15)]


@pytest.mark.parametrize("text,term", [
    ("Felkod 4012 vid import", "4012"),
    ("Uppgradera till 2024.1 först", "2024.1"),
    ("Filen följer ISO-20022", "iso20022"),
    ("Filen följer ISO-20022", "20022"),
    ("ALV:n ilmoitus", whole("alv", "fi")),
])
def test_numbers_and_codes_survive(text, term):
    language = "fi" if "ALV" in text else "sv"
    assert term in analyze(text, language)


def test_lexicon_trie_holds_simplemmas_dictionary(tmp_path):
    """The tries are built in a child process into their folder, and answer as simplemma's own dict does."""
    from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY

    trie = Lexicon(tmp_path).get_dictionary("sv")
    assert (tmp_path / "sv.dic").is_file() and not list(tmp_path.glob("tmp*"))
    original = DEFAULT_DICTIONARY_FACTORY.get_dictionary("sv")
    sample = list(itertools.islice(original, 0, None, 997))
    assert len(sample) > 900
    assert all(trie.get(word) == original.get(word) for word in sample)
    assert trie.get("ärendet") == "ärende" and trie.get("qqxyzzy") is None


@pytest.mark.parametrize("make", [lambda: language_analyzer("sv"), lambda: language_analyzer("fi")])
def test_analyzers_pickle(make):
    analyzer = make()
    copy = pickle.loads(pickle.dumps(analyzer))
    text = "Leverantörsfakturan och käyttäjätunnuksen tilikauden 2024.1"
    assert copy == analyzer
    assert [t.text for t in copy(text)] == [t.text for t in analyzer(text)]


def test_language_analyzer_rejects_unknown_languages():
    with pytest.raises(ValueError):
        language_analyzer("de")


SV_DOCS = {
    "sv-faktura": "Leverantörsfakturor går inte att attestera. Ärendet gäller leverantörsfakturan i attestflödet.",
    "sv-lon": "Semesterlöneskulden beräknas fel efter uppgradering till 2024.1.",
    "sv-annat": "Skrivaren skriver ut tomma sidor efter byte av drivrutin.",
}
FI_DOCS = {
    "fi-tili": "Uuden tilikauden avaaminen epäonnistuu, kun käyttäjätunnus on lukittu.",
    "fi-palkka": "Palkkalaskelman tulostus ei onnistu virhekoodilla 4012.",
    "fi-muu": "Tulostin tulostaa tyhjiä sivuja ajurin vaihdon jälkeen.",
}


@pytest.fixture(scope="module")
def index():
    schema = Schema(key=ID(stored=True), sv=TEXT(analyzer=language_analyzer("sv"), phrase=True),
                    fi=TEXT(analyzer=language_analyzer("fi"), phrase=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        for key, text in SV_DOCS.items():
            writer.add_document(key=key, sv=text)
        for key, text in FI_DOCS.items():
            writer.add_document(key=key, fi=text)
    return ix


def found(ix, field: str, text: str) -> set[str]:
    with ix.searcher() as searcher:
        parsed = QueryParser(field, ix.schema).parse(text)
        return {hit["key"] for hit in searcher.search(parsed, limit=None)}


@pytest.mark.parametrize("field,text,key", [
    ("sv", "faktura", "sv-faktura"),
    ("sv", "fakturan", "sv-faktura"),
    ("sv", "leverantör", "sv-faktura"),
    ("sv", "leverantörsfaktura", "sv-faktura"),
    ("sv", "arendet", "sv-faktura"),
    ("sv", "ärenden", "sv-faktura"),
    ("sv", "skuld", "sv-lon"),
    ("sv", "2024.1", "sv-lon"),
    ("fi", "tilikausi", "fi-tili"),
    ("fi", "tilikautta", "fi-tili"),
    ("fi", "tunnus", "fi-tili"),
    ("fi", "kayttajatunnus", "fi-tili"),
    ("fi", "käyttäjätunnuksen", "fi-tili"),
    ("fi", "palkkalaskelma", "fi-palkka"),
    ("fi", "laskelma", "fi-palkka"),
    ("fi", "4012", "fi-palkka"),
])
def test_whoosh_finds_inflections_compounds_and_folded_forms(index, field, text, key):
    assert found(index, field, text) == {key}


@pytest.mark.parametrize("field,text", [("sv", "skrivare faktura"), ("sv", "lön faktura"), ("fi", "kausi tulostin"),
                                        ("sv", "kvitto"), ("fi", "lasku")])
def test_whoosh_does_not_find_unrelated_documents(index, field, text):
    assert found(index, field, text) == set()


def test_whoosh_phrases_use_positions(index):
    def phrase(field, text):
        with index.searcher() as searcher:
            return {hit["key"] for hit in searcher.search(q.Phrase(field, _primary_terms(field, text)), limit=None)}

    assert phrase("sv", "leverantörsfakturan i attestflödet") == {"sv-faktura"}
    assert phrase("sv", "attestflödet i leverantörsfakturan") == set()
    assert phrase("fi", "uuden tilikauden avaaminen") == {"fi-tili"}
    assert found(index, "fi", '"tilikauden avaaminen"') == {"fi-tili"}


def _primary_terms(language: str, text: str) -> list[str]:
    """The whole-word term at each position, as the search's phrase queries use them."""
    terms: dict[int, str] = {}
    for token in language_analyzer(language)(text, positions=True, mode="query"):
        terms.setdefault(token.pos, token.text)
    return [terms[pos] for pos in sorted(terms)]


def test_highlighting_a_compound(index):
    with index.searcher() as searcher:
        hits = searcher.search(q.Term("sv", whole("faktura", "sv")), terms=True)
        marked = hits[0].highlights("sv", text=SV_DOCS["sv-faktura"])
    assert "Leverantörsfakturor" in marked and "<b" in marked


def test_conflation_smoke():
    fi = conflation(lambda word: analyze(word, "fi"), treebank("fi_tdt-ud-dev.conllu"), limit=300)
    sv = conflation(lambda word: analyze(word, "sv"), treebank("sv_talbanken-ud-dev.conllu"), limit=300)
    assert fi["recall"] > 0.5 and fi["precision"] > 0.8, fi
    assert fi["compound_recall"] > 0.5, fi
    assert sv["recall"] > 0.7 and sv["precision"] > 0.7, sv


@pytest.mark.parametrize("folded, language, word", [
    ("arende", "sv", "ärende"), ("halsovard", "sv", "hälsovård"), ("semesterloneskuld", "sv", "semesterlöneskuld"),
    ("leverantorsfaktura", "sv", "leverantörsfaktura"), ("faktura", "sv", "faktura"), ("paiva", "fi", "päivä"),
    ("kayttajatunnus", "fi", "käyttäjätunnus"), ("tilikausi", "fi", "tilikausi"), ("2024.1", "sv", "2024.1"),
    ("zorblax", "fi", "zorblax")])
def test_index_terms_are_shown_with_their_letters(folded, language, word):
    """'Did you mean' offers an index term (a lemma with its å/ä/ö), shown as the word it is; a folded word
    or fallback term is shown with its letters back."""
    term = analyze(word, language)[0]
    assert term == word or not term.isalpha()
    assert shown(term, language) == word
    assert shown(folded, language) == word
    assert shown("~" + folded, language) == word or not folded.isalpha()


@pytest.mark.parametrize("language,forms", [
    ("sv", ["bilaga", "bilagan", "bilagor", "bilagorna"]),
    ("sv", ["betala", "betalar", "betalade", "betalat"]),
    ("sv", ["kammarkollegium", "kammarkollegiet"]),
])
def test_words_the_dictionary_knows_are_not_cut_into_fragments(language, forms):
    """'bil|aga', 'bet|ala', 'kam|mara|kollegium': a known word is not split into short fragments."""
    for form in forms:
        terms = language_analyzer(language).word_terms(form)
        assert terms[0] == whole(forms[0], language)
        assert [t for t in terms[1:] if t[0].isalpha()] == [], (form, terms)


@pytest.mark.parametrize("language,word,parts", [
    ("sv", "leverantörsfaktura", ["leverantör", "faktura"]),
    ("sv", "semesterlöneskulden", ["semester", "lön", "skuld"]),
    ("sv", "lösenordet", ["lösen", "ord"]),
    ("sv", "arbetstid", ["arbete", "tid"]),
    ("fi", "käyttäjätunnus", ["käyttäjä", "tunnus"]),
    ("fi", "tilikausi", ["tili", "kausi"]),
    ("fi", "viikonloppu", ["viikko", "loppu"]),
    ("fi", "kirjanpito", ["kirja", "pito"]),
])
def test_real_compounds_still_split(language, word, parts):
    terms = analyze(word, language)
    assert [whole(part, language) for part in parts if whole(part, language) not in terms[1:]] == [], terms


@pytest.mark.parametrize("language,written,other", [
    ("sv", "ändra", "andra"), ("sv", "ändrar", "andra"), ("sv", "låg", "lag"), ("sv", "mål", "mal"),
    ("sv", "tåg", "tag"), ("sv", "äta", "ata"), ("sv", "får", "far"),
    ("fi", "sää", "saa"), ("fi", "näkyä", "nakya"),
])
def test_letters_typed_keep_words_apart(language, written, other):
    """With å/ä/ö typed, the word has its own lemma term: 'ändra' is not 'andra' (annan)."""
    assert whole(written, language) != whole(other, language)
    assert not whole(written, language).isascii()  # the lemma term keeps its letters: 'ändra', not 'andra'


def test_lemma_terms_keep_their_letters_and_a_folded_fallback():
    sv, fi = language_analyzer("sv"), language_analyzer("fi")
    assert sv.word_terms("ändrade") == ("ändra", "~andra", "=ändrade")
    assert sv.word_terms("andra") == ("annan", "=andra")
    assert fi.word_terms("sää") == ("sää", "~saa", "=sää")
    assert sv.word_terms("för") == ("för",)  # function words: no fallback, no written form
    assert fi.word_terms("tili")[-1] == "=tili" and not any(t.startswith("~") for t in fi.word_terms("tili"))
    assert fallback_term("ändra", "sv") == "~andra" and fallback_term("annan", "sv") is None


@pytest.mark.parametrize("language,typed,meant", [
    ("sv", "andra", "ändra"), ("sv", "lag", "låg"), ("sv", "mal", "mål"), ("sv", "far", "får"),
    ("sv", "tag", "tåg"), ("fi", "saa", "sää"), ("fi", "nakya", "näkyä"), ("sv", "gora", "göra"),
])
def test_a_word_typed_without_letters_finds_the_lettered_word_as_a_fallback(language, typed, meant):
    """'andra' is first of all the word andra (annan); its fallback terms reach 'ändra' too."""
    analyzer = language_analyzer(language)
    assert analyzer.word_terms(meant)[:1] != analyzer.word_terms(typed)[:1]
    assert fallback_term(whole(meant, language), language) in analyzer.typed_fallbacks(typed)
    assert analyzer.typed_fallbacks(meant) == ()


def test_a_query_asks_only_for_fallback_terms_an_index_can_hold():
    """A lemma without å/ä/ö has no fallback term: 'andra' asks for ~andra (ändra), not ~annan."""
    sv, fi = language_analyzer("sv"), language_analyzer("fi")
    assert sv.typed_fallbacks("andra") == ("~andra",)
    assert sv.typed_fallbacks("faktura") == () and fi.typed_fallbacks("monta") == ()
    for analyzer, typed in ((sv, "andra"), (sv, "arendet"), (fi, "kayttaja"), (sv, "lag")):
        held = {t for word in (analyzer.words(typed) + ["ändra", "ärendet", "käyttäjä", "låg"])
                for t in analyzer.word_terms(word)}
        assert set(analyzer.typed_fallbacks(typed)) <= held


@pytest.mark.parametrize("language,typed,written", [
    ("sv", "andrade", "ändrade"), ("sv", "arendet", "ärendet"), ("sv", "semesterloneskuld", "semesterlöneskulden"),
    ("fi", "paa", "pää"), ("fi", "nakyy", "näkyy"), ("fi", "kayttajaryhma", "käyttäjäryhmä"),
])
def test_a_word_only_spelled_with_letters_gets_its_lemma_typed_without_them(language, typed, written):
    """A word typed without å/ä/ö that only one spelling with them makes a word: its lemma term directly."""
    assert whole(typed, language) == whole(written, language)
    assert whole(written, language) != fold(whole(written, language))


def test_whoosh_keeps_andra_and_andra_apart():
    schema = Schema(key=ID(stored=True), sv=TEXT(analyzer=language_analyzer("sv"), phrase=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(key="andra", sv="Andra användare ser inte fakturan.")
        writer.add_document(key="ändra", sv="Så ändrar du lösenordet.")
    assert found(ix, "sv", "ändra") == {"ändra"}
    assert found(ix, "sv", "andra") == {"andra"}
    with ix.searcher() as searcher:
        fallbacks = q.Or([q.Term("sv", t) for t in language_analyzer("sv").typed_fallbacks("andra")])
        assert {hit["key"] for hit in searcher.search(fallbacks)} == {"ändra"}
