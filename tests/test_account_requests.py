"""Asking for a user ("HelpDesk-tunnusten tilaus"): the request reaches the named organisation's admins, or
support; they invite or decline; the asker learns nothing of which organisations exist."""
from __future__ import annotations

import re

from sqlalchemy import select

from kb.attachments import AttachmentStore
from kb.mail.ingest import ingest
from kb.models import AccountRequest, OutboxMessage, User, UserAuditEntry

from .conftest import AuthActions, csrf_token
from .test_mail import message, settings
from .test_tickets_web import fresh


def ask(client, **fields):
    page = client.get("/auth/request-account").get_data(as_text=True)
    return client.post("/auth/request-account", data={"csrf_token": csrf_token(page), **fields})


def test_a_request_reaches_the_organisations_admin_who_invites_the_person(app, db, client):
    client.post("/language", data={"csrf_token": csrf_token(client.get("/auth/login").get_data(as_text=True)),
                                   "language": "fi"})
    answer = ask(client, name="Pekka Nieminen", email="pekka.nieminen@kuljetusvirtanen.example",
                 company="Kuljetus Virtanen", company_number="1234567-8", phone="040 123 4567",
                 message="Tarvitsen tunnukset tukipyyntöjä varten.")
    assert answer.status_code == 200 and "Kiitos" in answer.get_data(as_text=True)
    to_admin = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_request"))
    assert to_admin.recipient == "liisa.virtanen@kuljetusvirtanen.example"  # the organisation's admin
    assert "Pekka Nieminen" in to_admin.subject and "/users/" in to_admin.body_text
    liisa = app.test_client()
    AuthActions(liisa).login("liisa")
    page = liisa.get("/users/requests").get_data(as_text=True)
    assert "Pekka Nieminen" in page and "Tarvitsen tunnukset" in page
    request_id = db.scalar(select(AccountRequest.id))
    done = liisa.post(f"/users/requests/{request_id}/invite", data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    fresh(db)
    pekka = db.scalar(select(User).where(User.email == "pekka.nieminen@kuljetusvirtanen.example"))
    assert pekka.organisation.key == "virtanen" and pekka.language == "fi" and pekka.phone == "040 123 4567"
    invitation = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert invitation.recipient == pekka.email and re.search(r"/auth/password/[\w-]+", invitation.body_text)
    assert f'id="request-{request_id}"' not in liisa.get("/users/requests").get_data(as_text=True)  # handled
    # another organisation's admin neither sees nor answers it
    erik = app.test_client()
    AuthActions(erik).login("erik")
    assert "Pekka" not in erik.get("/users/requests").get_data(as_text=True)


def test_the_answer_is_the_same_whatever_organisation_is_named_and_an_unknown_one_reaches_support(app, db, client):
    known = ask(client, name="Pekka", email="pekka@kuljetusvirtanen.example", company="Kuljetus Virtanen Oy")
    unknown = ask(client, name="Pekka", email="pekka@kuljetusvirtanen.example", company="Ei Ole Oy")
    strip = re.compile(r'name="csrf_token" value="[^"]*"')
    assert known.status_code == unknown.status_code == 200
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub("", unknown.get_data(as_text=True))
    to_support = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_request",
                                                       OutboxMessage.recipient == "support@aurora.example"))
    assert to_support is not None and "Ei Ole Oy" in to_support.subject
    ask(client, name="Pekka", email="pekka@kuljetusvirtanen.example", company="Ei Ole Oy")
    ask(client, name="Pekka", email="pekka@kuljetusvirtanen.example", company="Ei Ole Oy")
    fresh(db)
    assert len(db.scalars(select(AccountRequest)).all()) == 3  # at most three a day from one address


def test_the_vendors_administrator_invites_an_unmatched_request_into_an_organisation_or_declines(
        app, db, client, admin_client):
    ask(client, name="Greta Ek", email="greta@example.com", company="Greta Konsult")
    ask(client, name="Hugo Ek", email="hugo@example.com", company="Ekholms Bygg AB")  # its admin is Erik
    page = admin_client.get("/users/requests").get_data(as_text=True)
    assert "Greta Ek" in page and "Hugo Ek" in page
    greta, hugo = db.scalars(select(AccountRequest).order_by(AccountRequest.id)).all()
    refused = admin_client.post(f"/users/requests/{greta.id}/invite", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 302
    assert "Välj organisationen." in admin_client.get("/users/requests").get_data(as_text=True)
    goteborg = db.scalar(select(User).where(User.username == "sofia")).organisation_id
    admin_client.post(f"/users/requests/{greta.id}/invite", data={"csrf_token": csrf_token(page),
                                                                   "organisation": goteborg})
    admin_client.post(f"/users/requests/{hugo.id}/decline", data={"csrf_token": csrf_token(page)})
    fresh(db)
    assert db.scalar(select(User).where(User.email == "greta@example.com")).organisation_id == goteborg
    declined = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_request_declined"))
    assert declined.recipient == "hugo@example.com" and "Ekholms Bygg AB" in declined.body_text
    assert db.scalar(select(UserAuditEntry).where(UserAuditEntry.action == "requested_declined")) is not None


def test_bad_input_keeps_what_was_typed(db, client):
    answer = ask(client, name="", email="ei-osoite", company="", message="Hei")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Ange en e-postadress." in page and 'value="ei-osoite"' in page
    assert ">Hei</textarea>" in page and db.scalar(select(AccountRequest)) is None


def test_an_unknown_senders_reply_links_to_the_request_form(app, db, instance):
    mail = settings(instance, 25)
    db.context.mail = mail
    ingest(db, message("stranger@example.com", "Apua", "Ohjelma kaatuu."), AttachmentStore(instance / "attachments"),
           mail)
    reply = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "unknown_sender"))
    assert "http://portal.example/auth/request-account" in reply.body_text
