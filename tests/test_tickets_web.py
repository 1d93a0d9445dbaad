"""The customer portal through its pages: register, follow, comment, attach, confirm work, reopen; access."""
from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kb import tickets as workflow
from kb.db import writing
from kb.models import (CatalogueEntry, CatalogueKind, Deflection, Organisation, OutboxMessage, Status, Ticket,
                       User, utcnow)

from .conftest import AuthActions, csrf_token

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def entry(db, kind, code, product=None):
    query = select(CatalogueEntry).where(CatalogueEntry.kind == kind, CatalogueEntry.code == code)
    if product is not None:
        query = query.where(CatalogueEntry.product_id == product.id)
    return db.scalar(query)


def fresh(db):
    """See what the requests wrote: end the test session's snapshot and forget what it had loaded."""
    db.rollback()
    db.expire_all()


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def form_data(db, client, **overrides):
    page = client.get("/tickets/new").get_data(as_text=True)
    payroll = entry(db, CatalogueKind.PRODUCT, "payroll")
    data = {
        "csrf_token": csrf_token(page), "language": "sv", "contact": str(user(db, "erik").id),
        "product": str(payroll.id),
        "category": str(db.scalar(select(CatalogueEntry.id).where(
            CatalogueEntry.kind == CatalogueKind.CATEGORY, CatalogueEntry.product_id == payroll.id))),
        "routine": str(db.scalar(select(CatalogueEntry.id).where(
            CatalogueEntry.kind == CatalogueKind.ROUTINE, CatalogueEntry.product_id == payroll.id))),
        "version": str(db.scalar(select(CatalogueEntry.id).where(
            CatalogueEntry.kind == CatalogueKind.VERSION, CatalogueEntry.product_id == payroll.id))),
        "ticket_type": str(entry(db, CatalogueKind.TICKET_TYPE, "support").id),
        "operating_system": str(db.scalar(select(CatalogueEntry.id).where(
            CatalogueEntry.kind == CatalogueKind.OPERATING_SYSTEM))),
        "priority": "high", "reply_method": "none", "urgent": "1",
        "subject": "Lön – lönekörning – skattetabell saknas",
        "description": "Lönekörningen för **december** stannar.\n\n<script>alert(1)</script>",
        "application": "Lön > Lönekörning", "error_message": "Fel 3301: Skattetabell 33 saknas för 2027",
        "affected_usernames": "anna.l, erik.s", "company_numbers": "556677-8899",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("attachment_storage", ["folder", "database"])
def test_register_a_ticket_with_every_field_and_attachments(app, db, customer_client):
    before = db.scalar(select(func.max(Ticket.number)))
    data = form_data(db, customer_client)
    data["attachments"] = [(io.BytesIO(PNG), "screenshot-20261123-101500-1.png"),
                           (io.BytesIO(b"2026-11-23 ERROR tax table"), "lon.log")]
    response = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    number = before + 1
    assert response.headers["Location"].endswith(f"/tickets/new?registered={number}")
    page = customer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Ärende {number} har registrerats" in page
    assert 'value=""' in page.split('id="subject"')[1].split(">")[0]  # a new, empty form, as in the manual
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    anna, erik = user(db, "anna"), user(db, "erik")
    assert (ticket.registered_by, ticket.contact, ticket.organisation) == (anna, erik, anna.organisation)
    assert ticket.product.code == "payroll" and ticket.category and ticket.routine and ticket.version
    assert ticket.ticket_type.code == "support" and ticket.operating_system
    assert (ticket.priority.value, ticket.reply_method.value, ticket.urgent) == ("high", "none", True)
    assert ticket.application == "Lön > Lönekörning" and ticket.error_message.startswith("Fel 3301")
    assert ticket.affected_usernames == "anna.l, erik.s" and ticket.company_numbers == "556677-8899"
    assert ticket.status == Status.NEW and ticket.language == "sv"
    assert sorted(a.filename for a in ticket.attachments) == ["lon.log", "screenshot-20261123-101500-1.png"]
    assert [e.kind for e in ticket.events][:1] == ["created"] and \
        sorted(e.new_value for e in ticket.events if e.kind == "attached") == sorted(a.filename for a in ticket.attachments)
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    assert mail.recipient == app.config["SUPPORT_EMAIL"] and str(number) in mail.subject

    shown = customer_client.get(f"/tickets/{number}").get_data(as_text=True)
    for text in ("Lön – lönekörning – skattetabell saknas", "Erik", "<strong>december</strong>", "Fel 3301",
                 "anna.l, erik.s", "556677-8899", "Lön &gt; Lönekörning", "Hög", "Brådskande"):
        assert text in shown, text
    assert "<script>alert(1)</script>" not in shown
    log = customer_client.get(f"/tickets/{number}?tab=log").get_data(as_text=True)
    assert "Registrerade ärendet" in log and "Bifogade en fil" in log
    files = customer_client.get(f"/tickets/{number}?tab=attachments").get_data(as_text=True)
    link = re.search(r'href="(/tickets/\d+/attachments/[^"]+)">screenshot', files).group(1)
    download = customer_client.get(link)
    assert download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("attachment_storage", ["folder", "database"])
def test_validation_keeps_what_was_typed_and_attached(db, customer_client):
    data = form_data(db, customer_client, subject="   ", product="")
    data["attachments"] = [(io.BytesIO(PNG), "skärmbild.png")]
    response = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv en rubrik" in page and "Välj en produkt i listan" in page
    assert "Fel 3301: Skattetabell 33 saknas för 2027" in page and "556677-8899" in page
    staged = re.findall(r'name="staged" value="([^"]+)"', page)
    assert len(staged) == 1 and "skärmbild.png" in page
    # Second try: corrected, the held file comes along without being sent again.
    data = form_data(db, customer_client, staged=staged)
    response = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    number = int(response.headers["Location"].rsplit("=", 1)[1])
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert [a.filename for a in ticket.attachments] == ["skärmbild.png"]


def test_too_long_or_unstorable_text_is_refused_and_kept_in_the_form(db, customer_client):
    long = "Lönekörningen stannar. " * 4_400  # over 100 000 characters
    response = customer_client.post("/tickets/new", data=form_data(db, customer_client, description=long))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "högst 100 000 tecken" in page and long.strip() in page
    response = customer_client.post("/tickets/new", data=form_data(db, customer_client, subject="Lön\x00 stannar"))
    assert response.status_code == 422 and "inte kan sparas" in response.get_data(as_text=True)
    ticket = db.scalar(select(Ticket).where(Ticket.organisation_id == user(db, "anna").organisation_id))
    page = customer_client.get(f"/tickets/{ticket.number}?tab=comment").get_data(as_text=True)
    comment = "Samma fel igen. " * 1_300  # over 20 000 characters
    response = customer_client.post(f"/tickets/{ticket.number}/comments",
                                    data={"csrf_token": csrf_token(page), "body": comment})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "högst 20 000 tecken" in page and comment.strip() in page


def _resend(client, response):
    """Send the kept form again, as its button does."""
    page = response.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data" class="kept">', page).group(1)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(html.unescape(value))
    return client.post(action, data=data)


@pytest.mark.parametrize("attachment_storage", ["folder", "database"])
def test_an_expired_form_keeps_what_was_typed_and_attached(db, customer_client):
    data = form_data(db, customer_client, csrf_token="expired", subject="Lönen stannar efter en timme",
                     description="Jag skrev länge.\n\nLönekörningen stannar vid steg 3 <b>varje</b> gång.")
    data["attachments"] = [(io.BytesIO(PNG), "skärmbild.png")]
    response = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Inget har skickats ännu" in page
    assert "Lönekörningen stannar vid steg 3 &lt;b&gt;varje&lt;/b&gt; gång." in page and "skärmbild.png" in page
    sent = _resend(customer_client, response)
    assert sent.status_code == 302
    number = int(sent.headers["Location"].rsplit("=", 1)[1])
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.subject == "Lönen stannar efter en timme" and "<b>varje</b>" in ticket.description
    assert [a.filename for a in ticket.attachments] == ["skärmbild.png"]


def test_a_form_sent_after_the_session_ended_comes_back_after_logging_in(app, db, customer_client):
    data = form_data(db, customer_client, subject="Skrivet medan jag var utloggad")
    data["attachments"] = [(io.BytesIO(PNG), "bild.png")]
    customer_client.post("/auth/logout", data={"csrf_token": csrf_token(customer_client.get("/").get_data(as_text=True))})
    response = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "Logga in igen" in page
    carried = re.findall(r'<input type="hidden" name="(kept-[^"]+|kept_action)" value="([^"]*)">', page)
    assert ("kept-subject", "Skrivet medan jag var utloggad") in carried
    login = {"csrf_token": csrf_token(page), "username": "anna", "password": "demo"}
    for name, value in carried:
        login.setdefault(name, []).append(html.unescape(value)) if name != "kept_action" else login.update({name: value})
    wrong = customer_client.post("/auth/login", data={**login, "password": "wrong-password"})
    assert 'value="Skrivet medan jag var utloggad"' in wrong.get_data(as_text=True)  # a typo loses nothing
    resumed = customer_client.post("/auth/login", data={**login, "csrf_token": csrf_token(wrong.get_data(as_text=True))})
    assert resumed.status_code == 400 and "Skicka igen" in resumed.get_data(as_text=True)
    sent = _resend(customer_client, resumed)
    assert sent.status_code == 302, sent.get_data(as_text=True)[-3000:]
    number = int(sent.headers["Location"].rsplit("=", 1)[1])
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.subject == "Skrivet medan jag var utloggad" and [a.filename for a in ticket.attachments] == ["bild.png"]
    assert ticket.registered_by.username == "anna"


@pytest.mark.parametrize("attachment_storage", ["folder", "database"])
def test_a_held_file_can_be_removed(db, customer_client):
    data = form_data(db, customer_client, subject="   ")
    data["attachments"] = [(io.BytesIO(PNG), "fel-bild.png")]
    page = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    staged = re.findall(r'name="staged" value="([^"]+)"', page)
    assert "Ta bort" in page and len(staged) == 1
    response = customer_client.post("/tickets/new", data=form_data(db, customer_client, staged=staged, unstage=staged))
    assert response.status_code == 302
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == int(response.headers["Location"].rsplit("=", 1)[1])))
    assert ticket.attachments == []


@pytest.mark.parametrize("name,data,message", [
    ("page.html", b"<script>alert(1)</script>", "Den här typen av fil kan inte bifogas"),
    ("bild.svg", b"<svg onload=alert(1)>", "Den här typen av fil kan inte bifogas"),
    ("stor.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "högst 10 MB"),
])
def test_refused_attachments_say_why(db, customer_client, name, data, message):
    form = form_data(db, customer_client)
    form["attachments"] = [(io.BytesIO(data), name)]
    response = customer_client.post("/tickets/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    # The refused file is not held, so sending the form again without it registers the ticket.
    assert name not in response.get_data(as_text=True).split('data-thumbs')[1]
    del form["attachments"]
    assert customer_client.post("/tickets/new", data=form).status_code == 302


def test_a_customer_cannot_name_another_organisations_contact(db, customer_client):
    response = customer_client.post("/tickets/new", data=form_data(db, customer_client,
                                                                  contact=str(user(db, "mikko").id)))
    assert response.status_code == 422 and "Välj en kontaktperson i din organisation" in response.get_data(as_text=True)


def test_partner_registers_for_an_end_customer(db, partner_client):
    partner = user(db, "partner")
    end_customer = partner.organisation.end_customers[0]
    other = db.scalar(select(Organisation).where(Organisation.key == "virtanen"))
    data = form_data(db, partner_client, contact=str(partner.id), end_customer=str(other.id))
    assert partner_client.post("/tickets/new", data=data).status_code == 422
    data = form_data(db, partner_client, contact=str(partner.id), end_customer=str(end_customer.id))
    response = partner_client.post("/tickets/new", data=data)
    number = int(response.headers["Location"].rsplit("=", 1)[1])
    fresh(db)
    assert db.scalar(select(Ticket).where(Ticket.number == number)).end_customer == end_customer
    licences = partner_client.get("/tickets/licences").get_data(as_text=True)
    assert end_customer.name in licences and partner.organisation.name in licences


def test_my_tickets_and_the_organisations_tickets(db, customer_client, customer_admin_client):
    anna, erik = user(db, "anna"), user(db, "erik")
    mine = customer_client.get("/tickets/").get_data(as_text=True)
    everyone = customer_client.get("/tickets/?scope=organisation").get_data(as_text=True)
    own = db.scalars(select(Ticket).where((Ticket.registered_by_id == anna.id) | (Ticket.contact_id == anna.id)))
    org = db.scalars(select(Ticket).where(Ticket.organisation_id == anna.organisation_id))
    own_numbers, org_numbers = {t.number for t in own}, {t.number for t in org}
    assert org_numbers > own_numbers
    listed = lambda html: {int(n) for n in re.findall(r'href="/tickets/(\d+)"', html)}  # noqa: E731
    assert listed(mine) == own_numbers and listed(everyone) == org_numbers
    resolved = listed(customer_client.get("/tickets/?scope=organisation&status=resolved").get_data(as_text=True))
    assert resolved and all(db.scalar(select(Ticket.status).where(Ticket.number == n)) == Status.RESOLVED
                            for n in resolved)


def test_access_rules_answer_404_for_every_foreign_ticket(db, app, customer_client, finnish_client,
                                                          partner_client, support_client):
    finnish = db.scalar(select(Ticket).join(Organisation, Ticket.organisation_id == Organisation.id)
                        .where(Organisation.key == "virtanen"))
    swedish = db.scalar(select(Ticket).where(Ticket.organisation_id == user(db, "anna").organisation_id))
    partner = user(db, "partner")
    end_customer_ticket = db.scalar(select(Ticket).where(Ticket.end_customer_id.in_(
        [o.id for o in partner.organisation.end_customers])))
    with writing(db):
        attachment = app.extensions["kb_attachments"].attach(
            db, finnish, user(db, "mikko"), [__import__("kb.attachments", fromlist=["Upload"]).Upload("a.txt", b"x")])[0]
    cases = [
        (customer_client, finnish.number, 404), (customer_client, swedish.number, 200),
        (finnish_client, swedish.number, 404), (finnish_client, finnish.number, 200),
        (partner_client, swedish.number, 404), (partner_client, end_customer_ticket.number, 200),
        (support_client, finnish.number, 200), (support_client, swedish.number, 200),
        (customer_client, 999999, 404),
    ]
    for client, number, status in cases:
        assert client.get(f"/tickets/{number}").status_code == status
        for tab in ("log", "attachments", "comment"):
            assert client.get(f"/tickets/{number}?tab={tab}").status_code == status
    page = customer_client.get("/").get_data(as_text=True)
    token = csrf_token(page)
    for url in (f"/tickets/{finnish.number}/comments", f"/tickets/{finnish.number}/reopen",
                f"/tickets/{finnish.number}/work/1"):
        assert customer_client.post(url, data={"csrf_token": token, "body": "x", "decision": "confirm"}).status_code == 404
    assert customer_client.get(f"/tickets/{finnish.number}/attachments/{attachment.id}").status_code == 404
    assert finnish_client.get(f"/tickets/{finnish.number}/attachments/{attachment.id}").status_code == 200
    assert finnish_client.get(f"/tickets/{finnish.number}/attachments/nope").status_code == 404
    # Without the CSRF token, nothing is saved.
    assert finnish_client.post(f"/tickets/{finnish.number}/comments", data={"body": "x"}).status_code == 400


def test_comments_internal_notes_and_the_change_log(db, customer_client, support_client):
    ticket = db.scalar(select(Ticket).where(Ticket.organisation_id == user(db, "anna").organisation_id,
                                            Ticket.status == Status.NEW))
    page = customer_client.get(f"/tickets/{ticket.number}?tab=comment").get_data(as_text=True)
    before = customer_client.get(f"/tickets/{ticket.number}?tab=log").get_data(as_text=True).count("Skrev en kommentar")
    response = customer_client.post(f"/tickets/{ticket.number}/comments", data={
        "csrf_token": csrf_token(page), "body": "Det gäller även **januari**.",
        "attachments": [(io.BytesIO(PNG), "januari.png")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = support_client.get(f"/tickets/{ticket.number}?tab=comment").get_data(as_text=True)
    support_client.post(f"/tickets/{ticket.number}/comments", data={
        "csrf_token": csrf_token(page), "body": "Intern: kolla skattetabellen", "internal": "1"})
    support_client.post(f"/tickets/{ticket.number}/comments", data={
        "csrf_token": csrf_token(page), "body": "Vi tittar på det nu."})
    shown = customer_client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "<strong>januari</strong>" in shown and "Vi tittar på det nu." in shown
    assert "kolla skattetabellen" not in shown
    assert "januari.png" in customer_client.get(f"/tickets/{ticket.number}?tab=attachments").get_data(as_text=True)
    assert "kolla skattetabellen" in support_client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    log = customer_client.get(f"/tickets/{ticket.number}?tab=log").get_data(as_text=True)
    assert log.count("Skrev en kommentar") == before + 2  # the customer's and support's; not the internal note
    token = csrf_token(customer_client.get("/").get_data(as_text=True))
    empty = customer_client.post(f"/tickets/{ticket.number}/comments", data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 422 and "Skriv en kommentar" in empty.get_data(as_text=True)


def test_paid_work_needs_the_customers_written_confirmation(db, customer_client, finnish_client):
    ticket = db.scalar(select(Ticket).where(Ticket.organisation_id == user(db, "anna").organisation_id,
                                            Ticket.status == Status.NEW))
    with writing(db):
        proposal = workflow.propose_work(db, ticket, user(db, "support"), "Konvertering av lönearter", "3,5")
    url = f"/tickets/{ticket.number}/work/{proposal.id}"
    page = customer_client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Konvertering av lönearter" in page and "3,5 timmar" in page
    refused = customer_client.post(url, data={"csrf_token": csrf_token(page), "decision": "confirm", "note": ""})
    assert refused.status_code == 422 and "Skriv din bekräftelse" in refused.get_data(as_text=True)
    foreign = csrf_token(finnish_client.get("/").get_data(as_text=True))
    assert finnish_client.post(url, data={"csrf_token": foreign, "decision": "confirm", "note": "x"}).status_code == 404
    done = customer_client.post(url, data={"csrf_token": csrf_token(page), "decision": "confirm",
                                           "note": "Vi beställer arbetet enligt förslaget. /Anna"})
    assert done.status_code == 302
    fresh(db)
    assert proposal.status.value == "confirmed" and proposal.decided_by == user(db, "anna")
    log = customer_client.get(f"/tickets/{ticket.number}?tab=log").get_data(as_text=True)
    assert "Föreslog debiterbart arbete" in log and "Bekräftade det debiterbara arbetet" in log
    again = customer_client.post(url, data={"csrf_token": csrf_token(page), "decision": "decline"})
    assert again.status_code == 422


def test_reopen_within_the_period_only(app, db, customer_client):
    ticket = db.scalar(select(Ticket).where(Ticket.organisation_id == user(db, "anna").organisation_id,
                                            Ticket.status == Status.NEW))
    with writing(db):
        workflow.propose_solution(db, ticket, user(db, "support"), "Installera **2025.2**.")
    page = customer_client.get(f"/tickets/{ticket.number}?tab=solution").get_data(as_text=True)
    assert "<strong>2025.2</strong>" in page and "Återöppna ärendet" in page
    response = customer_client.post(f"/tickets/{ticket.number}/reopen", data={
        "csrf_token": csrf_token(page), "body": "Samma fel efter uppdateringen."})
    assert response.status_code == 302
    fresh(db)
    assert ticket.status == Status.REOPENED
    with writing(db):
        workflow.propose_solution(db, ticket, user(db, "support"), "Nu är det rättat.")
        ticket.resolved_at = utcnow() - timedelta(days=app.config["REOPEN_DAYS"] + 1)
    page = customer_client.get(f"/tickets/{ticket.number}?tab=solution").get_data(as_text=True)
    assert "Återöppna ärendet" not in page
    late = customer_client.post(f"/tickets/{ticket.number}/reopen", data={"csrf_token": csrf_token(page),
                                                                          "body": "Igen"})
    assert late.status_code == 422


def test_this_solved_my_problem_is_counted(db, customer_client):
    published = db.scalar(select(Ticket).where(Ticket.general.is_(True)))
    page = customer_client.get(f"/experience/{published.number}?from=ticket").get_data(as_text=True)
    assert "Det här löste mitt problem" in page
    response = customer_client.post(f"/experience/{published.number}/solved", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    fresh(db)
    assert db.scalar(select(func.count(Deflection.id)).where(Deflection.ticket_id == published.id)) == 1
    page = customer_client.get(f"/experience/{published.number}").get_data(as_text=True)
    assert "1 kund hittade lösningen här och registrerade inget ärende." in page


def test_recent_tickets_bar(db, customer_client):
    numbers = list(db.scalars(select(Ticket.number).where(
        Ticket.organisation_id == user(db, "anna").organisation_id).limit(3)))
    for n in numbers:
        customer_client.get(f"/tickets/{n}")
    page = customer_client.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    bar = page.split('class="recentbar"')[1].split("</nav>")[0]
    assert all(f"/tickets/{n}" in bar for n in numbers)


MATRIX_USERS = ("anna", "erik", "johan", "sofia", "partner", "karin", "ola", "mikko", "liisa", "support", "admin")


def _expected(username: str, organisation: str, end_customer: str | None) -> bool:
    """The access rules, written out independently of kb.access."""
    home = {"anna": "ekholm", "erik": "ekholm", "johan": "ekholm", "sofia": "goteborg", "partner": "norrsken",
            "karin": "lindgren", "ola": "hammarby", "mikko": "virtanen", "liisa": "virtanen"}
    end_customers = {"norrsken": {"lindgren", "hammarby"}}  # a partner sees its end customers' tickets too
    if username in ("support", "admin"):
        return True
    return bool(({home[username]} | end_customers.get(home[username], set())) & {organisation, end_customer})


def test_access_matrix_for_every_role_and_organisation(app, db):
    from kb.users import hash_password

    with writing(db):
        for username in MATRIX_USERS:
            user(db, username).password_hash = hash_password("matrix-pass")
        # An end customer's own ticket, filed without its partner: the partner sees it too.
        workflow.create_ticket(db, user(db, "karin"), subject="Egen fråga", description="Utan partnern.",
                               require_product=False)
    samples = {}
    for t in db.scalars(select(Ticket).order_by(Ticket.number)):
        key = (t.organisation.key, t.end_customer.key if t.end_customer else None)
        samples.setdefault(key, t.number)
    assert len(samples) >= 8 and ("lindgren", None) in samples
    for username in MATRIX_USERS:
        client = app.test_client()
        assert AuthActions(client).login(username, "matrix-pass").status_code == 302  # staff: with the code too
        for (organisation, end_customer), number in samples.items():
            want = 200 if _expected(username, organisation, end_customer) else 404
            for url in (f"/tickets/{number}", f"/tickets/{number}?tab=log", f"/api/v1/tickets/{number}",
                        f"/api/v1/tickets/{number}/events"):
                assert client.get(url).status_code == want, (username, organisation, end_customer, url)


def test_file_sizes_read_as_people_write_them(app, db, customer_client):
    from kb.attachments import Upload

    anna = db.scalar(select(User).where(User.username == "anna"))
    with writing(db):
        ticket = workflow.create_ticket(db, anna, subject="Loggar", description="Se filerna.", product="payroll")
        app.extensions["kb_attachments"].attach(db, ticket, anna, [Upload("kort.txt", b"x" * 300),
                                                                   Upload("lang.txt", b"y" * 1536)])
    page = customer_client.get(f"/tickets/{ticket.number}?tab=attachments").get_data(as_text=True)
    assert "300 B" in page and "1,5 kB" in page and "0 kB" not in page and "0.3 kB" not in page


def test_the_ticket_form_and_remote_support_page_give_the_phone_for_critical_matters(app, customer_client,
                                                                                   finnish_client):
    swedish = customer_client.get("/tickets/new").get_data(as_text=True)
    assert "Kritiskt? Ring supporten: 010 123 4500, vardagar kl. 9–12, 13–16." in swedish
    finnish = finnish_client.get("/tickets/new").get_data(as_text=True)
    assert "Kriittinen asia? Soita asiakaspalveluun: 010 123 4500, arkisin klo 9–12, 13–16." in finnish
    assert "Soita asiakaspalveluun" in finnish_client.get("/remote-support").get_data(as_text=True)


def test_without_a_phone_number_none_is_shown(instance):
    from webapp import create_app

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "x", "SUPPORT_PHONE": ""})
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "anna", "password": "demo"})
    assert "Ring supporten" not in client.get("/tickets/new").get_data(as_text=True)
    app.extensions["kb_database"].dispose()


@pytest.mark.parametrize("client_name, language, label, report", [
    ("customer_client", "sv", "Rapportens namn och urval", "Resultaträkning per kostnadsställe, period 1–3/2026"),
    ("finnish_client", "fi", "Raportin nimi rajauksineen", "Tuloslaskelma kustannuspaikoittain, kausi 1–3/2026"),
])
def test_the_report_and_its_filters_are_asked_kept_shown_logged_and_found_by_support(
        request, db, support_client, client_name, language, label, report):
    """The Finnish guide: a reporting problem needs the report's name and its filters ("raportin nimi
    rajauksineen"). The form asks for it, the ticket shows it, a correction is logged, support finds it."""
    client = request.getfixturevalue(client_name)
    page = client.get("/tickets/new").get_data(as_text=True)
    assert label in page and 'name="report_name"' in page
    contact = user(db, "erik" if language == "sv" else "mikko")
    too_long = client.post("/tickets/new", data=form_data(db, client, language=language, contact=str(contact.id),
                                                          report_name="x" * 2001))
    assert too_long.status_code == 422 and "x" * 2001 in html.unescape(too_long.get_data(as_text=True))
    response = client.post("/tickets/new", data=form_data(db, client, language=language, contact=str(contact.id),
                                                          subject="Rapporten visar fel belopp", report_name=report))
    assert response.status_code == 302
    fresh(db)
    ticket = db.scalar(select(Ticket).order_by(Ticket.id.desc()))
    assert ticket.report_name == report
    shown = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert f"<dt>{label}</dt><dd>{report}</dd>" in shown
    api = client.get(f"/api/v1/tickets/{ticket.number}").get_json()
    assert api["report_name"] == report
    with writing(db):
        workflow.acting(db, user(db, "support"))
        ticket.report_name = None
    log = client.get(f"/tickets/{ticket.number}?tab=log").get_data(as_text=True)
    assert f"<td>{label}</td><td>{report}</td><td>–</td>" in log
    with writing(db):
        ticket.report_name = report
    found = support_client.get("/support/find", query_string={"q": "kostnadsställe" if language == "sv"
                                                              else "kustannuspaikoittain"}).get_data(as_text=True)
    assert f'href="/tickets/{ticket.number}"' in found
