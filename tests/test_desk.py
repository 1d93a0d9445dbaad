"""Find any ticket: support's desk index of every ticket (open or closed, published or not, comments and
internal notes included), its filters, related past tickets, and that customers never reach it."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from indexer.desk import DeskRequest
from kb import tickets as workflow
from kb.db import writing
from kb.models import Organisation, Status, Ticket, User, utcnow

from .test_cli import run_kb
from .test_support import new_ticket, token


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<h2><a href="/tickets/(\d+)"', page)]


def test_support_finds_an_open_unpublished_ticket_by_an_inflected_word_of_an_internal_note(db, support_client):
    ticket = new_ticket(db, subject="Utskriften hänger sig")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Kunden använder fortfarande gamla skrivardrivrutiner.",
                             internal=True)
    page = support_client.get("/support/find", query_string={"q": "skrivardrivrutin"}).get_data(as_text=True)
    assert numbers(page) == [ticket.number]
    assert "skrivardrivrutiner</mark>" in page  # the internal note's words are marked in the snippet
    # its subject, its description, a customer's comment: the same
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "anna"), "Felet kommer även på bokslutsrapporterna.")
    for words in ("utskrifterna hänger", "bokslutsrapport", "3301"):
        found = support_client.get("/support/find", query_string={"q": words}).get_data(as_text=True)
        assert ticket.number in numbers(found), words


def test_finnish_tickets_are_found_by_another_form_of_the_word(db, support_client):
    ticket = new_ticket(db, "mikko", subject="Palkanlaskennan ajo kaatuu", language="fi")
    found = support_client.get("/support/find", query_string={"q": "palkanlaskenta"}).get_data(as_text=True)
    assert ticket.number in numbers(found)


def test_filters_by_organisation_status_product_and_registration_date(db, support_client):
    anna = new_ticket(db, "anna", subject="Kvartalsrapporten saknar moms")
    mikko = new_ticket(db, "mikko", subject="Kvartalsrapporten saknar moms", language="fi")
    with writing(db):
        workflow.set_status(db, mikko, user(db, "support"), Status.WAITING)
    every = numbers(support_client.get("/support/find", query_string={"q": "kvartalsrapport"}).get_data(as_text=True))
    assert {anna.number, mikko.number} <= set(every)

    def find(**args):
        return numbers(support_client.get("/support/find", query_string={"q": "kvartalsrapport", **args})
                       .get_data(as_text=True))

    def only(found, kept, left):
        return kept in found and left not in found

    assert only(find(organisation=anna.organisation_id), anna.number, mikko.number)
    assert only(find(organisation=mikko.organisation_id), mikko.number, anna.number)
    assert only(find(status="waiting"), mikko.number, anna.number)
    assert only(find(status="new"), anna.number, mikko.number)
    assert {anna.number, mikko.number} <= set(find(product="payroll"))
    assert not {anna.number, mikko.number} & set(find(product="ledger"))
    today = utcnow().date()
    assert {anna.number, mikko.number} <= set(find(**{"from": today.isoformat(), "to": today.isoformat()}))
    assert not {anna.number, mikko.number} & set(find(to=(today - timedelta(days=1)).isoformat()))
    assert find(**{"from": (today + timedelta(days=1)).isoformat()}) == []


def test_no_words_lists_every_ticket_newest_first_and_closed_ones_too(db, support_client):
    ticket = new_ticket(db)
    with writing(db):
        workflow.set_status(db, ticket, user(db, "support"), Status.CLOSED)
    page = support_client.get("/support/find", query_string={"status": "closed"}).get_data(as_text=True)
    found = numbers(page)
    assert found[0] == ticket.number
    total = db.scalar(select(Ticket.id).where(Ticket.status == Status.CLOSED).limit(1))
    assert total is not None and all(
        t.status == Status.CLOSED for t in db.scalars(select(Ticket).where(Ticket.number.in_(found))))


def test_a_bad_date_says_so_in_the_users_language_and_the_rest_of_the_search_still_runs(db, support_client, app):
    ticket = new_ticket(db, subject="Bankfilen avvisas")
    page = support_client.get("/support/find", query_string={"q": "bankfil", "from": "31.12.2026"}).get_data(
        as_text=True)
    assert "ÅÅÅÅ-MM-DD" in page
    assert 'aria-invalid="true"' in page and ticket.number in numbers(page)
    support_client.post("/language", data={"csrf_token": token(support_client), "language": "fi"})
    page = support_client.get("/support/find", query_string={"q": "bankfil", "to": "huomenna"}).get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "Etsi mikä tahansa tukipyyntö" in page


def test_customers_never_reach_the_desk_search(db, customer_client, customer_admin_client, partner_client,
                                              finnish_client):
    new_ticket(db, "mikko", subject="Salainen sisäinen asia", language="fi")
    for client in (customer_client, customer_admin_client, partner_client, finnish_client):
        response = client.get("/support/find", query_string={"q": "salainen"})
        assert response.status_code == 404
        assert "/support/find" not in client.get("/").get_data(as_text=True)


def test_a_merged_duplicates_comments_are_found_on_the_ticket_they_moved_to(db, support_client):
    target = new_ticket(db, subject="Lönefilen saknas")
    duplicate = new_ticket(db, subject="Lönefil saknas igen")
    with writing(db):
        workflow.add_comment(db, duplicate, user(db, "anna"), "Banken säger att betalningsunderlaget är tomt.")
        workflow.merge(db, duplicate, target, user(db, "support"))
    found = numbers(support_client.get("/support/find", query_string={"q": "betalningsunderlag"}).get_data(
        as_text=True))
    assert target.number in found


def test_support_sees_related_past_tickets_on_the_ticket_page_and_customers_do_not(db, support_client,
                                                                                      customer_client):
    support = user(db, "support")
    past = new_ticket(db, subject="Semesterlöneskulden beräknas fel vid årsskiftet")
    with writing(db):
        workflow.propose_solution(db, past, support, "Kör om semesterlöneberäkningen efter uppdateringen.")
    current = new_ticket(db, subject="Semesterlöneskulden blir fel efter årsskiftet")
    page = support_client.get(f"/tickets/{current.number}").get_data(as_text=True)
    related = page[page.index('id="related-heading"'):]
    assert f"/tickets/{past.number}" in related
    assert 'id="related-heading"' not in customer_client.get(f"/tickets/{current.number}").get_data(as_text=True)


def test_the_desk_index_is_a_replica_rebuilt_by_kb_reindex(app, db, instance):
    ticket = new_ticket(db, subject="Omindexering av skrivbordet")
    result = run_kb("reindex", "--only", "desk", instance=instance)
    assert result.returncode == 0 and "Desk index: indexed" in result.stdout, result.stderr
    assert "Experience database" not in result.stdout
    desk = app.extensions["kb_desk_index"]
    hits = desk.search(DeskRequest(text="omindexering")).hits
    assert [h.number for h in hits] == [ticket.number]
    status = run_kb("index", "status", instance=instance)
    assert status.returncode == 0 and "/desk" in status.stdout  # listed among the nodes' replicas
    organisation = db.scalar(select(Organisation.id).where(Organisation.id == ticket.organisation_id))
    assert desk.search(DeskRequest(organisation=organisation, registered_from=date.today())).total >= 1


def test_support_scripts_the_desk_search_through_the_api_and_customers_get_404(app, db, support_client,
                                                                              customer_client):
    from .test_api_tickets import check, token_for
    ticket = new_ticket(db, subject="Momsdeklarationen avrundas fel")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Avrundningsfelet gäller öresutjämningen.",
                             internal=True)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(support_client)}"}
    found = check(api.get("/api/v1/tickets/find", query_string={"q": "öresutjämning", "status": "new",
                                                                 "product": "payroll"}, headers=headers),
                  200, "FoundTickets")
    assert [r["number"] for r in found["results"]] == [ticket.number] and found["total"] == 1
    assert "öresutjämningen</mark>" in found["results"][0]["snippet"]
    bad = check(api.get("/api/v1/tickets/find", query_string={"from": "eilen"}, headers=headers), 422, "Error")
    assert bad["fields"]["from"] == "Ange datumet som ÅÅÅÅ-MM-DD."  # in the support user's language
    customer = {"Authorization": f"Bearer {token_for(customer_client)}"}
    check(api.get("/api/v1/tickets/find", query_string={"q": "öresutjämning"}, headers=customer), 404, "Error")


def test_changes_to_tickets_outside_the_experience_database_cost_it_no_commit(app, db, index):
    """Every change enters the feed for the desk index; the experience database moves its watermark past
    the tickets it neither holds nor should hold without writing a segment."""
    from indexer.experience import watermark
    from kb import index_feed

    database = app.extensions["kb_database"]
    index.sync(database)
    live = index.generations.open_live()
    before = live.latest_generation()
    ticket = new_ticket(db, subject="Ingen commit för detta")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Intern anteckning.", internal=True)
    assert index.sync(database) >= 1
    assert live.latest_generation() == before  # no Whoosh commit
    with database.session() as session:
        head = index_feed.head(session)
    assert watermark.read(index.generations.folder(index.generation())) == head
    # a published ticket's change still reaches its document
    published = db.scalar(select(Ticket).where(Ticket.general.is_(True)).limit(1))
    with writing(db):
        published.published_title = "Ett nytt rubrikord zebrafink"
    index.sync(database)
    assert live.latest_generation() > before
    from indexer.searching import SearchRequest
    assert [h.number for h in index.search(SearchRequest(text="zebrafink")).hits] == [published.number]


def test_a_ticket_number_opens_the_ticket_and_comes_first_through_the_api(app, db, support_client):
    from .test_api_tickets import check, token_for
    ticket = new_ticket(db, subject="Kontoplanen saknar konto 1930")
    for typed in (str(ticket.number), f"#{ticket.number}", f" {ticket.number} "):
        response = support_client.get("/support/find", query_string={"q": typed})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    headers = {"Authorization": f"Bearer {token_for(support_client)}"}
    found = check(app.test_client().get("/api/v1/tickets/find", query_string={"q": str(ticket.number)},
                                        headers=headers), 200, "FoundTickets")
    assert found["results"][0]["number"] == ticket.number
    assert support_client.get("/support/find", query_string={"q": "999999999"}).status_code == 200  # no such ticket


def test_support_finds_a_ticket_by_the_user_ids_company_numbers_and_e_mail_addresses_it_names(db, support_client):
    ticket = new_ticket(db, subject="Inloggningen misslyckas", affected_usernames="kirsi.virtanen, ekh-lon2",
                        company_numbers="556677-8899")
    for words in ("kirsi.virtanen", "ekh-lon2", "556677-8899", "anna.lindberg@ekholmsbygg.example"):
        page = support_client.get("/support/find", query_string={"q": words}).get_data(as_text=True)
        assert ticket.number in numbers(page), words
