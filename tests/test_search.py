"""The experience database: what is indexed, the three modes, language handling, sync and the API."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from indexer.searching import SearchRequest
from kb import tickets as workflow
from kb.db import writing
from kb.models import Status, User

from .conftest import csrf_token


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def publish(db, language, subject, problem, solution, product="bookkeeping", **fields):
    """Register, solve and publish a ticket through the workflow, as support would."""
    customer = user(db, "anna" if language == "sv" else "mikko")
    support = user(db, "support")
    with writing(db):
        ticket = workflow.create_ticket(db, customer, subject=subject, language=language, product=product,
                                        description=problem, **fields)
        workflow.propose_solution(db, ticket, support, solution)
        workflow.set_general(db, ticket, support, True, problem, solution)
    return ticket


def published(app, db, *tickets):
    """Publish each (language, subject, problem, solution) and bring the index up to date."""
    made = [publish(db, *ticket) for ticket in tickets]
    app.extensions["kb_index"].sync(app.extensions["kb_database"])
    return made


def numbers(index, text, mode="free", language="all", **kwargs):
    result = index.search(SearchRequest(text=text, mode=mode, language=language, as_you_type=False, **kwargs))
    return {hit.number for hit in result.hits}


def test_field_isolation(app, db, index):
    t = publish(db, "sv", "Utskrift av kontoutdrag", "Kontoutdraget blir tomt vid utskrift.",
                "Byt skrivardrivrutin till zorblaxdrivern i inställningarna.")
    index.sync(app.extensions["kb_database"])
    assert t.number in numbers(index, "zorblaxdrivern", "solution")
    assert t.number in numbers(index, "zorblaxdrivern", "free")
    assert t.number not in numbers(index, "zorblaxdrivern", "problem")
    assert t.number in numbers(index, "kontoutdraget tomt", "problem")
    assert t.number not in numbers(index, "kontoutdraget tomt", "solution")


@pytest.mark.parametrize("language,query", [
    ("sv", "ärende"), ("sv", "ärenden"), ("sv", "arendet"), ("sv", "faktura"), ("sv", "leverantör"),
    ("sv", "fakturan"),
])
def test_swedish_inflections_compounds_and_folding(app, db, index, language, query):
    t = publish(db, "sv", "Leverantörsfakturor går inte att attestera",
                "Ärendet gäller leverantörsfakturan som fastnar i attestflödet.", "Starta om attesteringen.")
    index.sync(app.extensions["kb_database"])
    assert t.number in numbers(index, query, language=language)


@pytest.mark.parametrize("query", ["tilikausi", "tilikautta", "tilikauden", "tunnus", "kayttajatunnus",
                                   "käyttäjätunnuksen"])
def test_finnish_inflections_compounds_and_folding(app, db, index, query):
    t = publish(db, "fi", "Tilikauden avaaminen ei onnistu",
                "Uuden tilikauden avaaminen epäonnistuu, kun käyttäjätunnus on lukittu.",
                "Avaa käyttäjätunnuksen lukitus ja avaa tilikausi uudelleen.")
    index.sync(app.extensions["kb_database"])
    assert t.number in numbers(index, query, language="fi")


def test_and_then_ranked_or_phrases_exclusion_and_or(app, db, index):
    a, b = published(app, db, ("sv", "Momsrapporten visar fel belopp", "Momsrapporten för kvartalet visar fel belopp.",
                               "Kör om periodiseringen."),
                     ("sv", "Momsdeklarationen kan inte skickas", "Deklarationen stoppas av Skatteverket.",
                      "Förnya certifikatet."))
    assert a.number in numbers(index, "momsrapporten belopp")
    assert b.number not in numbers(index, "momsrapporten belopp")
    result = index.search(SearchRequest(text="momsrapporten skatteverket", as_you_type=False))
    assert result.matched_all is False and {a.number, b.number} <= {h.number for h in result.hits}
    assert a.number in numbers(index, '"visar fel belopp"')
    assert a.number not in numbers(index, '"belopp fel visar"')
    assert a.number not in numbers(index, "momsrapporten -belopp")
    assert {a.number, b.number} <= numbers(index, "periodiseringen OR certifikatet")


def test_last_word_is_a_prefix_while_typing(app, db, index):
    t = publish(db, "sv", "Bankavstämning", "Bankavstämningen stämmer inte.", "Läs in kontoutdraget igen.")
    index.sync(app.extensions["kb_database"])
    result = index.search(SearchRequest(text="bankavstäm", as_you_type=True))
    assert t.number in {h.number for h in result.hits}
    assert t.number in {h.number for h in index.suggest("bankavs")}


def test_did_you_mean_from_the_index_vocabulary(app, db, index):
    publish(db, "sv", "Semesterlöneskulden blir fel", "Semesterlöneskulden beräknas fel.", "Kör om beräkningen.")
    index.sync(app.extensions["kb_database"])
    result = index.search(SearchRequest(text="semesterlöneskulen", language="sv", as_you_type=False))
    assert result.suggestion == "semesterlöneskuld"  # the index holds "semesterloneskuld": shown with its ö
    publish(db, "fi", "Käyttäjätunnus lukittui", "Käyttäjätunnukseni lukittui.", "Avaa käyttäjätunnus.")
    index.sync(app.extensions["kb_database"])
    result = index.search(SearchRequest(text="kayttajatunus", language="all", as_you_type=False))
    assert result.suggestion == "käyttäjätunnus"


def test_did_you_mean_only_where_the_answer_is_poor(app, db, index):
    """A query that many tickets answer well is not looked up in the vocabulary; a poor one is."""
    for n in range(2):
        publish(db, "sv", f"Kontoutdrag {n} saknas", "Kontoutdraget läses inte in.", "Läs in filen igen.")
    index.sync(app.extensions["kb_database"])
    assert index.search(SearchRequest(text="kontoutdrg", language="sv", as_you_type=False)).suggestion \
        == "kontoutdrag"
    for n in range(10):
        publish(db, "sv", f"Bankavstämning {n}: kontoutdraget", "Bankavstämningen och kontoutdraget skiljer.",
                "Läs in kontoutdraget igen.")
    index.sync(app.extensions["kb_database"])
    result = index.search(SearchRequest(text="bankavstämning kontoutdrg", language="sv", as_you_type=False))
    assert result.total >= 10 and result.suggestion is None


def test_function_words_of_a_long_question_do_not_make_a_match(app, db, index):
    """A question's "hur ... jag ... när" scores, but a ticket holding only those words is no match; in a
    short query they still count ("Vad återstår då?")."""
    answer = publish(db, "sv", "Zorblaxmodulen och plingfakturan", "Zorblaxmodulen tappar plingfakturan.",
                     "Byt kvorrkod i frekvornet.")
    other = publish(db, "sv", "Hur och när", "När är det och hur?", "Det är så.")
    index.sync(app.extensions["kb_database"])
    found = numbers(index, "hur gör jag när zorblaxmodulen tappar plingfakturan i frekvornet", language="sv",
                    page_size=100)
    assert answer.number in found and other.number not in found
    assert other.number in numbers(index, "hur och när", language="sv", page_size=100)


def test_snippets_are_short_passages_around_the_marked_words(app, db, index):
    filler = " ".join(["Texten fortsätter utan något av det som söks här."] * 12)
    publish(db, "sv", "Lång beskrivning", f"Skrivaren stannar. {filler} Till sist kommer lönebeskedet.",
            "İstanbul-kontoret: <b>skrivaren</b> & lönebeskedet.")
    index.sync(app.extensions["kb_database"])
    [hit] = index.search(SearchRequest(text="skrivare lönebesked", language="sv", as_you_type=False)).hits
    snippet = hit.snippet_problem
    assert '<mark class="match term0">Skrivaren</mark> stannar' in snippet
    assert '<mark class="match term1">lönebeskedet</mark>' in snippet and " … " in snippet
    assert len(re.sub(r"<[^>]+>", "", snippet)) <= 2 * (240 + 3)
    assert re.fullmatch(r'İstanbul-kontoret: (&lt;b&gt;)?<mark class="match term\d">skrivaren</mark>(&lt;/b&gt;)? '
                        r'&amp; <mark class="match term1">lönebeskedet</mark>', hit.snippet_solution)


def test_privacy_no_personal_field_is_reachable(app, db, index, client, auth, runner):
    """Names, addresses, phones, usernames, company numbers, organisations, notes: none can be found."""
    support = user(db, "support")
    t = publish(db, "sv", "Lönespecifikationen saknar OB-tillägg", "OB-tillägget saknas på lönespecen.",
                "Lägg till lönearten för OB.", product="payroll", application="Quxapplikation",
                error_message="Fel 7731 xyzzyfel", affected_usernames="ZQUSER01",
                company_numbers="987654")
    with writing(db):
        workflow.add_comment(db, t, support, "Internt: quuxanteckning", internal=True)
        workflow.add_comment(db, t, user(db, "anna"), "Ring mig på 070-123 45 67, frobkommentar")
    index.sync(app.extensions["kb_database"])
    secrets = ["Anna Lindberg", "anna.lindberg@ekholmsbygg.example", "070-123 45 67", "Ekholms Bygg",
               "ZQUSER01", "987654", "quuxanteckning", "frobkommentar", "xyzzyfel", "Quxapplikation",
               "Stina Holm", "556123-4567", "Kuljetus Virtanen", "liisa.virtanen@kuljetusvirtanen.example"]
    auth.login("erik")
    for secret in secrets:
        for mode in ("free", "problem", "solution"):
            assert numbers(index, f'"{secret}"', mode) == set(), secret
            assert numbers(index, secret, mode) & {t.number} == set(), secret
            data = client.get("/api/v1/search", query_string={"q": secret, "mode": mode, "lang": "all"}).get_json()
            assert t.number not in [r["number"] for r in data["results"]], secret
        out = json.loads(runner.invoke("search", secret, "--json").output)
        assert t.number not in [r["number"] for r in out["results"]]
    searcher = index.searcher()
    for fields in searcher.all_stored_fields():
        blob = json.dumps(fields, default=str, ensure_ascii=False)
        for secret in secrets:
            assert secret not in blob


def test_unflag_reopen_and_delete_remove_the_entry(app, db, index):
    database = app.extensions["kb_database"]
    support = user(db, "support")
    t = publish(db, "fi", "Verkkolaskujen vastaanotto", "Verkkolaskut eivät tule perille.", "Tarkista Finvoice-osoite.")
    index.sync(database)
    assert t.number in numbers(index, "verkkolaskut")
    with writing(db):
        workflow.set_general(db, t, support, False)
    index.sync(database)
    assert t.number not in numbers(index, "verkkolaskut")
    with writing(db):
        workflow.set_general(db, t, support, True)
    index.sync(database)
    assert t.number in numbers(index, "verkkolaskut")
    with writing(db):
        workflow.set_status(db, t, support, Status.REOPENED)
    index.sync(database)
    assert t.number not in numbers(index, "verkkolaskut")
    with writing(db):
        workflow.propose_solution(db, t, support, "Uusi ratkaisu.")
    index.sync(database)
    assert t.number in numbers(index, "verkkolaskut")
    with writing(db):
        t.published_solution = "Päivitetty ohje: vaihda välittäjätunnus."
    index.sync(database)
    assert t.number in numbers(index, "välittäjätunnus", "solution")
    with writing(db):
        db.delete(t)
    index.sync(database)
    assert t.number not in numbers(index, "verkkolaskut")


def test_a_crash_between_commit_and_drain_is_repaired_by_sync(app, db, index, runner):
    t = publish(db, "sv", "Kassaflödesanalysen saknas", "Rapporten kassaflödesanalys saknas.", "Aktivera modulen.")
    assert t.number not in numbers(index, "kassaflödesanalys")  # committed, never drained
    status = runner.invoke("index", "status").output
    assert "pending:" in status and "pending:    0" not in status
    assert runner.invoke("index", "sync").exit_code == 0
    assert t.number in numbers(index, "kassaflödesanalys")
    assert "pending:    0" in runner.invoke("index", "status").output


def test_a_sync_with_nothing_to_apply_writes_no_files(app, index):
    database = app.extensions["kb_database"]
    index.sync(database)
    folder = index.generations.current_link.resolve()
    before = sorted(p.name for p in folder.iterdir())
    assert index.sync(database) == 0 and index.sync(database, wait=True) == 0
    assert sorted(p.name for p in folder.iterdir()) == before


def test_publishing_on_the_web_drains_after_the_request(app, db, index, customer_client):
    t = publish(db, "sv", "Avskrivningar bokförs dubbelt", "Avskrivningarna dubbleras.", "Radera dubbletten.")
    assert t.number not in numbers(index, "avskrivningarna")
    page = customer_client.get("/").get_data(as_text=True)  # any write request drains the queue after it
    response = customer_client.post("/language", data={"csrf_token": csrf_token(page), "language": "sv"})
    assert response.status_code == 302
    response.close()  # as every WSGI server does once the response is sent: this runs the drain
    assert t.number in numbers(index, "avskrivningarna")


def test_facets_filters_order_and_pages(index):
    everything = index.search(SearchRequest(text="", language="all", page_size=5))
    assert everything.total >= 50 and len(everything.hits) == 5
    assert sum(everything.facets["language"].values()) == everything.total
    product, count = next(iter(everything.facets["product"].items()))
    filtered = index.search(SearchRequest(text="", language="all", product=product, page_size=100))
    assert filtered.total == count and {h.product for h in filtered.hits} == {product}
    newest = index.search(SearchRequest(text="", language="all", order="newest", page_size=100)).hits
    assert [h.resolved_at for h in newest] == sorted((h.resolved_at for h in newest), reverse=True)
    page2 = index.search(SearchRequest(text="", language="all", page=2, page_size=5))
    assert not {h.number for h in page2.hits} & {h.number for h in everything.hits}


def test_related_tickets(index):
    first = index.search(SearchRequest(text="", language="sv", page_size=1)).hits[0]
    related = index.related(first.number)
    assert related and first.number not in {h.number for h in related}
    assert all(h.language == "sv" for h in related)
