"""Accounts people manage themselves: their own password, a forgotten one by a mailed single-use link."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from kb.models import AccountLink, OutboxMessage, User, utcnow

from .conftest import DEMO_PASSWORD, AuthActions, csrf_token
from .test_tickets_web import fresh

NEW = "Fjällräven-Kånken-42"


def token(client, url="/auth/profile"):
    return csrf_token(client.get(url).get_data(as_text=True))


def mailed_link(db, address, kind="password_reset"):
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == address, OutboxMessage.kind == kind)
                        .order_by(OutboxMessage.id.desc()))
    return message, re.search(r"(/auth/(?:password|email)/[\w-]+)", message.body_text).group(1) if message else None


def test_a_user_changes_their_password_and_every_other_session_ends(app, db, customer_client):
    other = app.test_client()
    AuthActions(other).login("anna")
    assert other.get("/tickets/").status_code == 200
    wrong = customer_client.post("/auth/profile/password", data={
        "csrf_token": token(customer_client), "current": "not it", "password": NEW, "repeated": NEW})
    assert wrong.status_code == 422 and "Det nuvarande lösenordet är fel." in wrong.get_data(as_text=True)
    short = customer_client.post("/auth/profile/password", data={
        "csrf_token": token(customer_client), "current": DEMO_PASSWORD, "password": "kort", "repeated": "kort"})
    assert short.status_code == 422 and "minst 10 tecken" in short.get_data(as_text=True)
    done = customer_client.post("/auth/profile/password", data={
        "csrf_token": token(customer_client), "current": DEMO_PASSWORD, "password": NEW, "repeated": NEW})
    assert done.status_code == 302
    assert customer_client.get("/tickets/").status_code == 200  # this browser stays logged in
    assert other.get("/tickets/").status_code == 302  # the other session has ended
    assert AuthActions(app.test_client()).login("anna", DEMO_PASSWORD).status_code != 302
    assert AuthActions(app.test_client()).login("anna", NEW).status_code == 302


def test_a_forgotten_password_is_reset_by_a_single_use_link_without_telling_who_exists(app, db, client, finnish_client):
    def ask(address):
        return client.post("/auth/forgot", data={"csrf_token": token(client, "/auth/forgot"), "email": address})

    unknown, known = ask("nobody@nowhere.example"), ask("Mikko.Laine@kuljetusvirtanen.example")
    assert unknown.status_code == known.status_code == 200
    strip = re.compile(r"nobody@nowhere\.example|Mikko\.Laine@kuljetusvirtanen\.example|"
                       r'name="csrf_token" value="[^"]*"')
    assert strip.sub("", unknown.get_data(as_text=True)) == strip.sub("", known.get_data(as_text=True))
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "nobody@nowhere.example")) is None
    message, path = mailed_link(db, "mikko.laine@kuljetusvirtanen.example")
    assert message.subject == "Uusi salasana tukiportaaliin" and "mikko" in message.body_text  # his language
    assert finnish_client.get("/tickets/").status_code == 200
    page = client.get(path)
    assert page.status_code == 200 and "mikko" in page.get_data(as_text=True)
    mismatch = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": NEW,
                                       "repeated": NEW + "x"})
    assert mismatch.status_code == 422
    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": NEW,
                                   "repeated": NEW})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert finnish_client.get("/tickets/").status_code == 302  # his other sessions ended
    assert AuthActions(app.test_client()).login("mikko", NEW).status_code == 302
    used = client.get(path)  # used up; the page speaks his language from the reset on
    assert used.status_code == 410 and "Tämä linkki on vanhentunut" in used.get_data(as_text=True)


def test_links_expire_are_limited_per_hour_and_a_bad_address_is_refused(app, db, client):
    def ask(address):
        return client.post("/auth/forgot", data={"csrf_token": token(client, "/auth/forgot"), "email": address})

    bad = ask("not an address")
    assert bad.status_code == 422 and "Ange en e-postadress." in bad.get_data(as_text=True)
    for _ in range(5):
        assert ask("anna.lindberg@ekholmsbygg.example").status_code == 200
    sent = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "anna.lindberg@ekholmsbygg.example",
                                                  OutboxMessage.kind == "password_reset")).all()
    assert len(sent) == 3  # at most three an hour
    _message, path = mailed_link(db, "anna.lindberg@ekholmsbygg.example")
    db.execute(update(AccountLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert client.get(path).status_code == 410
    assert client.get("/auth/password/" + "x" * 43).status_code == 410
    fresh(db)
    anna = db.scalar(select(User).where(User.username == "anna"))
    assert anna.active  # nothing else changed


def test_an_unused_reset_link_ends_when_the_password_is_changed_otherwise(app, db, client, customer_client):
    client.post("/auth/forgot", data={"csrf_token": token(client, "/auth/forgot"),
                                      "email": "anna.lindberg@ekholmsbygg.example"})
    _message, path = mailed_link(db, "anna.lindberg@ekholmsbygg.example")
    customer_client.post("/auth/profile/password", data={
        "csrf_token": token(customer_client), "current": DEMO_PASSWORD, "password": NEW, "repeated": NEW})
    assert client.get(path).status_code == 410


def test_a_user_edits_their_name_phone_and_language(db, customer_client):
    bad = customer_client.post("/auth/profile/details", data={"csrf_token": token(customer_client), "name": "",
                                                             "phone": "070", "language": "sv"})
    assert bad.status_code == 422 and "Ange ditt namn" in bad.get_data(as_text=True)
    assert 'value="070"' in bad.get_data(as_text=True)  # what was typed stays
    customer_client.post("/auth/profile/details", data={"csrf_token": token(customer_client), "name": "Anna Lind",
                                                       "phone": "+46 70 555 12 12", "language": "fi"})
    fresh(db)
    anna = db.scalar(select(User).where(User.username == "anna"))
    assert (anna.name, anna.phone, anna.language) == ("Anna Lind", "+46 70 555 12 12", "fi")
    assert "Profiili" in customer_client.get("/auth/profile").get_data(as_text=True)  # the page follows


def test_a_new_email_address_is_used_only_once_confirmed_from_the_link_sent_to_it(app, db, customer_client):
    wrong = customer_client.post("/auth/profile/email", data={
        "csrf_token": token(customer_client), "email": "anna@ny.example", "email_password": "fel"})
    assert wrong.status_code == 422 and "Det nuvarande lösenordet är fel." in wrong.get_data(as_text=True)
    customer_client.post("/auth/profile/email", data={
        "csrf_token": token(customer_client), "email": "anna@ny.example", "email_password": DEMO_PASSWORD})
    fresh(db)
    anna = db.scalar(select(User).where(User.username == "anna"))
    assert anna.email == "anna.lindberg@ekholmsbygg.example"  # not yet
    message, path = mailed_link(db, "anna@ny.example", "email_confirmation")
    assert message.subject == "Bekräfta din nya e-postadress"
    page = customer_client.get(path)  # a GET (a mail scanner's) confirms nothing: a page with a button
    assert page.status_code == 200 and "anna@ny.example" in page.get_data(as_text=True)
    fresh(db)
    assert anna.email == "anna.lindberg@ekholmsbygg.example"
    confirmed = customer_client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/auth/profile")
    assert customer_client.get("/auth/profile").status_code == 200  # this browser stays logged in
    fresh(db)
    assert anna.email == "anna@ny.example"
    old = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "anna.lindberg@ekholmsbygg.example",
                                                OutboxMessage.kind == "email_changed"))
    assert old is not None and "anna@ny.example" in old.body_text  # the old address is told
    assert customer_client.get(path).status_code == 410  # once
    audit = app.test_client()
    AuthActions(audit).login("erik")
    assert "E-postadressen ändrad" in audit.get("/users/audit").get_data(as_text=True)
