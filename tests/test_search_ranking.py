"""kb's ranking: whole questions and keyword queries alike (issue: search that answers questions)."""
from __future__ import annotations

import pytest

from indexer.engine import SCORING
from indexer.searching import SearchRequest

from .test_search import publish


def ranked(index, text, language="sv", **kwargs):
    request = SearchRequest(text=text, language=language, as_you_type=False, facets=False, **kwargs)
    return [hit.number for hit in index.search(request).hits]


def test_a_first_person_question_finds_the_answer_written_to_you(app, db, index):
    answer = publish(db, "sv", "Byta lösenord i portalen", "Lösenordet behöver bytas.",
                     "Du byter ditt lösenord under Inställningar > Säkerhet. Skriv ditt nya lösenord två gånger.")
    chatty = publish(db, "sv", "Rapporten visar fel period",
                     "Jag skriver ut rapporten men jag får fel period, och min chef frågar mig varför jag ser den.",
                     "Välj perioden i rapportdialogen.")
    index.sync(app.extensions["kb_database"])
    hits = ranked(index, "Hur byter jag mitt lösenord? Jag har glömt mitt gamla och min kollega kan inte hjälpa mig.")
    assert hits[0] == answer.number
    assert chatty.number not in hits[:1]


def test_a_repeated_lemma_counts_once(app, db, index):
    publish(db, "sv", "Lösenordet går inte att byta", "Bytet av lösenord misslyckas.", "Starta om portalen.")
    publish(db, "sv", "Byta skrivare", "Skrivaren behöver bytas.", "Välj ny skrivare.")
    index.sync(app.extensions["kb_database"])
    once = index.search(SearchRequest(text="lösenord byta", language="sv", as_you_type=False))
    again = index.search(SearchRequest(text="lösenord lösenordet byta lösenorden", language="sv", as_you_type=False))
    assert [(h.number, h.score) for h in once.hits] == [(h.number, h.score) for h in again.hits]


def test_filler_words_alone_never_rank_first(app, db, index):
    answer = publish(db, "sv", "Fakturor skickas inte till kunden",
                     "Fakturan kan inte skickas: utskicket stoppas.", "Kontrollera kundens e-postadress.")
    filler = publish(db, "sv", "Rapporten går inte att maila", "Det går inte att maila rapporten.",
                     "Ställ in e-postservern.")
    index.sync(app.extensions["kb_database"])
    hits = index.search(SearchRequest(text="fakturan går inte att skicka", language="sv", as_you_type=False)).hits
    numbers = [h.number for h in hits]
    # The demo's "Lönespecarna går inte att maila" and this "… går inte att maila" share only filler words.
    fillers = [h.number for h in hits if "går inte att maila" in h.title] + [filler.number]
    assert answer.number in numbers[:3]
    assert all(numbers.index(answer.number) < numbers.index(n) for n in fillers if n in numbers)


def test_the_whole_word_outranks_its_parts_found_apart(app, db, index):
    whole = publish(db, "sv", "Leverantörsfakturan fastnar", "Leverantörsfakturan fastnar i attesten.",
                    "Attestera om den.")
    apart = publish(db, "sv", "Faktura från ny leverantör", "En faktura från en leverantör saknar referens.",
                    "Lägg till referensen.")
    index.sync(app.extensions["kb_database"])
    hits = ranked(index, "leverantörsfaktura")
    assert whole.number in hits and apart.number in hits  # the parts help recall ...
    assert hits.index(whole.number) < hits.index(apart.number)  # ... without outranking the whole word


def test_the_word_as_written_counts_on_top_of_its_lemma(app, db, index):
    exact = publish(db, "sv", "Bilagan saknas", "Bilagan saknas på fakturan.", "Bifoga den igen.")
    other = publish(db, "sv", "Bilagor saknas", "Bilagor saknas på fakturorna.", "Bifoga dem igen.")
    index.sync(app.extensions["kb_database"])
    hits = ranked(index, "bilagan")
    assert hits.index(exact.number) < hits.index(other.number)


@pytest.mark.parametrize("text", ["semesterers", "semesterersättning", "semesterersättningen slutlön"])
def test_typing_and_enter_agree(app, db, index, text):
    publish(db, "sv", "Semesterersättning vid slutlön", "Semesterersättningen blir fel på slutlönen.",
            "Kör om semesterberäkningen.")
    index.sync(app.extensions["kb_database"])
    typing = index.search(SearchRequest(text=text, language="sv", as_you_type=True))
    enter = index.search(SearchRequest(text=text, language="sv", as_you_type=False))
    assert typing.total > 0
    assert [h.number for h in typing.hits] == [h.number for h in enter.hits]
    assert typing.total == enter.total


def test_phrases_exclusions_and_or_keep_working(app, db, index):
    a = publish(db, "fi", "Alv-raportti näyttää väärää summaa", "Alv-raportti näyttää väärää summaa.",
                "Aja jaksotus uudelleen.")
    b = publish(db, "fi", "Alv-ilmoitus ei lähde", "Verohallinto hylkää ilmoituksen.", "Uusi varmenne.")
    index.sync(app.extensions["kb_database"])
    assert a.number in ranked(index, '"näyttää väärää summaa"', language="fi")
    assert a.number not in ranked(index, '"summaa väärää näyttää"', language="fi")
    assert a.number not in ranked(index, "alv -raportti", language="fi")
    assert b.number in ranked(index, "alv -raportti", language="fi")
    assert {a.number, b.number} <= set(ranked(index, "jaksotus OR varmenne", language="fi"))


def test_a_hyphenated_word_finds_its_words_written_apart(app, db, index):
    apart = publish(db, "fi", "Maventa ei vastaanota laskuja", "Maventa hylkää verkkolaskut.", "Tarkista Maventan tunnukset.")
    other = publish(db, "fi", "Palvelu on hidas", "Palvelu vastaa hitaasti.", "Tyhjennä välimuisti.")
    publish(db, "fi", "Palvelun katkos", "Palvelu ei vastaa.", "Odota hetki.")
    joined = publish(db, "sv", "SEPA-betalningen avvisas", "Banken avvisar SEPA-betalningen.", "Kontrollera IBAN.")
    spaced = publish(db, "sv", "Betalning via SEPA", "En SEPA betalning stannar i banken.", "Kontrollera BIC.")
    index.sync(app.extensions["kb_database"])
    # All parts together used to be required: no ticket holds both "Maventa" and "palvelu".
    hits = ranked(index, "Maventa-palvelu", language="fi")
    assert hits[0] == apart.number and other.number in hits
    assert {joined.number, spaced.number} <= set(ranked(index, "SEPA-betalning"))


def test_in_a_sentence_a_hyphen_after_a_space_is_a_compound_not_an_exclusion(app, db, index):
    answer = publish(db, "fi", "Visma Fivaldi -ohjelma ei käynnisty", "Visma Fivaldi -ohjelma kaatuu heti.",
                     "Asenna ohjelman päivitys.")
    other = publish(db, "fi", "Fivaldin raportti on tyhjä", "Raportti ei näytä rivejä.", "Valitse kausi.")
    index.sync(app.extensions["kb_database"])
    hits = ranked(index, "Miksi Visma Fivaldi -ohjelma ei käynnisty?", language="fi")
    assert hits[0] == answer.number
    from indexer.query import parse
    assert parse("miksi Visma Fivaldi -ohjel").prefix == "ohjel"  # the word being typed completes
    # Keywords keep the exclusion.
    assert answer.number not in ranked(index, "Fivaldi -ohjelma", language="fi")
    assert other.number in ranked(index, "Fivaldi -ohjelma", language="fi")


def test_a_finnish_question_word_is_how_it_is_asked_not_what_about(app, db, index):
    answer = publish(db, "fi", "Palkkalaskelmat tulostuvat väärin",
                     "Palkkalaskelmat tulostuvat väärälle paperille.", "Vaihda tulostimen paperikoko A4:ksi.")
    chatty = publish(db, "fi", "Kuinka tilaan paperia?", "Kuinka, milloin ja miten paperia tilataan?",
                     "Kuinka paljon paperia tarvitaan, milloin ja miten se toimitetaan: kysy tuesta.")
    index.sync(app.extensions["kb_database"])
    numbers = ranked(index, "Kuinka ja milloin saan palkkalaskelmat tulostumaan oikealle paperille ilman virheitä?",
                     language="fi")
    # Counted as content words, "kuinka ... milloin ... miten" (rare in answers) put the chatty ticket first.
    assert numbers[0] == answer.number and numbers.index(chatty.number) > 0


def test_swedish_modals_are_how_it_is_asked_not_what_about(app, db, index):
    chatty = publish(db, "sv", "Vem ska byta?", "Ska eller måste jag byta papper? Ska jag?",
                     "Nej, du måste inte. Supporten ska göra det.")
    index.sync(app.extensions["kb_database"])

    def score(text):
        hits = index.search(SearchRequest(text=text, language="sv", as_you_type=False, page_size=100)).hits
        return next(h.score for h in hits if h.number == chatty.number)

    asked = score("Ska jag eller måste jag byta papper när lönespecifikationen skrivs fel?")
    plain = score("Jag eller jag byta papper när lönespecifikationen skrivs fel?")
    # As function words of a long question, each of "ska" and "måste" adds at most (k1 + 1) x the capped
    # idf; counted as content words (rare in answers) they added more than the rest of the question.
    assert asked - plain <= 2 * (SCORING.k1 + 1) * SCORING.function_idf
