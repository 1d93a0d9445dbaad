"""What customers type that is not the index's Swedish or Finnish: English support words, a typo in a long
compound, an error code, and a ticket's title alone on the ticket form."""
from __future__ import annotations

import pytest

from indexer.searching import DEFLECTION_MATCH, SearchRequest

from .test_search import published


def titles(index, text, language):
    return [hit.title for hit in index.search(SearchRequest(text=text, language=language)).hits]


@pytest.mark.parametrize("language, text, answer", [
    ("sv", "password reset mail never arrives", "Får inget mejl när jag återställer lösenordet"),
    ("fi", "password reset mail never arrives", "Salasanan vaihtolinkki on aina vanhentunut"),
    ("sv", "invoice reminder", "Påminnelseavgift på fakturor som redan är betalda"),
    ("fi", "mobile app crashes", "Mobiilisovellus kaatuu, kun kuittiin lisää kuvan"),
])
def test_english_support_words_find_the_swedish_and_finnish_answer(index, language, text, answer):
    assert titles(index, text, language)[0] == answer


@pytest.mark.parametrize("language, typo, answer", [
    ("sv", "semsterlöneskulden", "Semesterlöneskulden dubbelt så hög efter semesterårsskiftet!!"),
    ("fi", "palkkatietoilmoitusen", "Tulorekisteri hylkää palkkatietoilmoituksen – ansaintajakso puuttuu"),
])
def test_a_typo_in_a_long_compound_still_finds_its_answer_first(index, language, typo, answer):
    assert titles(index, typo, language)[0] == answer


@pytest.mark.parametrize("client_name, found, partial, nothing, register", [
    ("customer_client", "ärenden hittades", "Inget ärende har alla orden.", "Inga ärenden hittades.",
     "registrera ett ärende"),
    ("finnish_client", "löytyi", "Missään tukipyynnössä ei ole kaikkia sanoja.", "Tukipyyntöjä ei löytynyt.",
     "tee tukipyyntö"),
])
def test_the_results_say_one_true_thing(request, index, client_name, found, partial, nothing, register):
    client = request.getfixturevalue(client_name)
    word = "lösenord" if client_name == "customer_client" else "salasana"
    page = client.get("/experience/", query_string={"q": f"{word} qwzxv"}).get_data(as_text=True)
    assert partial in page and found not in page and nothing not in page
    page = client.get("/experience/", query_string={"q": "qwzxv plghj"}).get_data(as_text=True)
    assert nothing in page and register in page and partial not in page and f"0 {found}" not in page


def form_lookup(client, text, language):
    """The ticket form's "Already answered?" lookup (webapp/static/ticket-form.js)."""
    return [hit["title"] for hit in client.get("/api/v1/search", query_string={
        "q": text, "mode": "free", "lang": language, "min_match": DEFLECTION_MATCH}).get_json()["results"]]


@pytest.mark.parametrize("client_name, language, title, description, answer", [
    ("customer_client", "sv", "Fel 4012", "Hej! Vi har problem sedan i morse, systemet visar bara ett meddelande",
     "Kan inte bokföra i mars – Fel 4012: Perioden är låst för bokföring"),
    ("finnish_client", "fi", "Virhe 2210",
     "Hei, ongelma alkoi tänä aamuna, järjestelmä näyttää vain ilmoituksen",
     "Uutta tilikautta ei voi avata: Virhe 2210"),
])
def test_an_error_code_in_the_title_suggests_its_answer(request, index, client_name, language, title,
                                                        description, answer):
    """The code is what the customer knows; a vague description does not hide its answer."""
    client = request.getfixturevalue(client_name)
    assert form_lookup(client, title, language)[0] == answer
    assert form_lookup(client, f"{title} {description}", language)[0] == answer


@pytest.mark.parametrize("client_name, ticket, title", [
    ("customer_client", ("sv", "Nytt räkenskapsår kan inte skapas",
                         "När jag försöker skapa nästa räkenskapsår fungerar ingenting.",
                         "Stäng det föregående räkenskapsåret först och skapa sedan det nya."),
     "Visma Administration, att skapa nytt räkenskapsår fungerar inte"),
    ("finnish_client", ("fi", "Uuden tilikauden avaus ei onnistu",
                        "Kun yritän avata uutta tilikautta kirjanpidossa, mitään ei tapahdu.",
                        "Päätä edellinen tilikausi ensin ja avaa sitten uusi."),
     "Visma Fivaldi Kirjanpito, tilikauden avaaminen ei onnistu"),
])
def test_the_title_alone_suggests(request, app, db, index, client_name, ticket, title):
    """Product names no ticket holds ("Visma Fivaldi") do not hide the answer to the rest of the title."""
    client = request.getfixturevalue(client_name)
    published(app, db, ticket)
    assert ticket[1] in form_lookup(client, title, ticket[0])[:5]  # the panel shows five


def test_the_finnish_guides_title_suggests_the_demos_answer(index, finnish_client):
    assert "Uutta tilikautta ei voi avata: Virhe 2210" in form_lookup(
        finnish_client, "Visma Fivaldi Kirjanpito, tilikauden avaaminen ei onnistu", "fi")


@pytest.mark.parametrize("client_name, language, known, names, unknown", [
    ("customer_client", "sv", "skapa nytt räkenskapsår", "Visma Contura Nordlund",
     "garagebygge taktegel plåtslagare"),
    ("finnish_client", "fi", "uuden tilikauden avaus", "Visma Fivaldi Oyj", "autotallin kattotiili peltiseppä"),
])
def test_only_names_no_ticket_holds_are_discounted(request, app, db, index, client_name, language, known, names,
                                                    unknown):
    """A product's name tells no ticket from another; other words no ticket holds say the question is about
    something not answered, so the panel does not show an answer to a third of it."""
    client = request.getfixturevalue(client_name)
    ticket = {"sv": ("sv", "Nytt räkenskapsår kan inte skapas", "Jag kan inte skapa nytt räkenskapsår.",
                     "Stäng det föregående räkenskapsåret först."),
              "fi": ("fi", "Uuden tilikauden avaus ei onnistu", "Uuden tilikauden avaus ei onnistu.",
                     "Päätä edellinen tilikausi ensin.")}[language]
    published(app, db, ticket)
    assert ticket[1] in form_lookup(client, f"{names} {known}", language)
    assert ticket[1] not in form_lookup(client, f"{unknown} {known}", language)
