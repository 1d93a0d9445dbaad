"""Trust of accounts and login, second round (issue 28): links in mail from the configured address only,
credential changes that end what they should, counters that hold under parallel clients, enrolment,
flooding and enumeration, spreadsheet formulas in CSV, and no state changed by a GET from a mail link."""
from __future__ import annotations

import csv
import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from kb import account_requests, accounts, tokens
from kb.db import writing
from kb.models import (AccountLink, AccountRequest, CatalogueEntry, CatalogueKind, Organisation, OutboxMessage,
                       User)
from kb.testing import second_factor
from kb.text import FORMULA_START, PLAIN_NUMBER, spreadsheet_cell
from webapp import create_app

from .conftest import DEMO_PASSWORD, csrf_token
from .test_tickets_web import fresh


def user(db, username):
    return db.scalar(select(User).where(User.username == username))

BASE = "https://support.aurora.example"


def last_mail(db, address, kind=None):
    db.rollback()  # a fresh snapshot: what the requests wrote since
    query = select(OutboxMessage).where(OutboxMessage.recipient == address)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.scalar(query.order_by(OutboxMessage.id.desc()))


# -- 1. links in mail come from BASE_URL, never from the request's Host header --------------------------

@pytest.fixture
def based_app(instance):
    """An app with a base URL, behind a proxy that passes any Host on (so the header reaches the app)."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "test-secret",
                      "BASE_URL": BASE + "/", "TRUSTED_HOSTS": ["localhost", "evil.example"]})
    yield app
    app.extensions["kb_database"].dispose()


def test_a_reset_link_points_at_base_url_whatever_host_the_request_names(based_app, db):
    client = based_app.test_client()
    page = client.get("/auth/forgot", headers={"Host": "evil.example"}).get_data(as_text=True)
    response = client.post("/auth/forgot", headers={"Host": "evil.example"},
                           data={"csrf_token": csrf_token(page), "email": "anna.lindberg@ekholmsbygg.example"})
    assert response.status_code == 200
    message = last_mail(db, "anna.lindberg@ekholmsbygg.example", "password_reset")
    assert message is not None and "evil.example" not in message.body_text + (message.body_html or "")
    assert re.search(re.escape(BASE) + r"/auth/password/[\w-]+", message.body_text)


def test_an_untrusted_host_is_refused_before_any_view(instance):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "test-secret",
                      "BASE_URL": BASE})
    try:
        assert app.config["TRUSTED_HOSTS"] == ["support.aurora.example"]
        client = app.test_client()
        assert client.get("/auth/forgot", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/auth/forgot", headers={"Host": "support.aurora.example"}).status_code == 200
    finally:
        app.extensions["kb_database"].dispose()


def test_the_web_app_refuses_to_start_without_a_base_url_outside_debug_and_tests(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_BASE_URL", raising=False)
    settings = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "a-real-secret", "MAIL_SEND_AFTER_REQUEST": False}
    with pytest.raises(RuntimeError, match="BASE_URL is not set"):
        create_app(settings)
    with pytest.raises(RuntimeError, match="BASE_URL must be"):
        create_app({**settings, "BASE_URL": "javascript:alert(1)"})
    app = create_app({**settings, "BASE_URL": "http://127.0.0.1:5000"})
    assert set(app.config["TRUSTED_HOSTS"]) == {"127.0.0.1", "localhost", "::1"}
    assert create_app({**settings, "TESTING": True}).config["TRUSTED_HOSTS"] is None


# -- 2. a credential change ends what it should ---------------------------------------------------------

NEW = "Fjällräven-Kånken-42"


def form_token(client, url="/auth/profile"):
    return csrf_token(client.get(url).get_data(as_text=True))


def link_in(message) -> str:
    return re.search(r"(/auth/(?:password|email)/[\w-]+)", message.body_text).group(1)


def change_password(client, keep_tokens=False):
    data = {"csrf_token": form_token(client), "current": DEMO_PASSWORD, "password": NEW, "repeated": NEW}
    if keep_tokens:
        data["keep_tokens"] = "1"
    return client.post("/auth/profile/password", data=data)


def ask_for_new_address(client, address):
    return client.post("/auth/profile/email", data={"csrf_token": form_token(client), "email": address,
                                                    "email_password": DEMO_PASSWORD})


def test_an_email_change_link_stops_working_when_the_password_changes(db, customer_client):
    assert ask_for_new_address(customer_client, "anna@attacker.example").status_code == 302
    path = link_in(last_mail(db, "anna@attacker.example", "email_confirmation"))
    assert change_password(customer_client).status_code == 302
    assert customer_client.get(path).status_code == 410
    visitor = customer_client.application.test_client()
    page = visitor.get("/auth/login").get_data(as_text=True)
    assert visitor.post(path, data={"csrf_token": csrf_token(page)}).status_code == 410
    fresh(db)
    assert user(db, "anna").email == "anna.lindberg@ekholmsbygg.example"


def test_a_reset_link_sent_to_the_old_address_stops_working_when_the_address_changes(app, db, client,
                                                                                     customer_client):
    page = client.get("/auth/forgot").get_data(as_text=True)
    client.post("/auth/forgot", data={"csrf_token": csrf_token(page), "email": "anna.lindberg@ekholmsbygg.example"})
    reset = link_in(last_mail(db, "anna.lindberg@ekholmsbygg.example", "password_reset"))
    assert client.get(reset).status_code == 200
    ask_for_new_address(customer_client, "anna@ny.example")
    confirm = link_in(last_mail(db, "anna@ny.example", "email_confirmation"))
    page = customer_client.get(confirm).get_data(as_text=True)
    assert customer_client.post(confirm, data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get(reset).status_code == 410
    assert last_mail(db, "anna.lindberg@ekholmsbygg.example", "email_changed") is not None


def bearer(client, secret):
    return client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_api_tokens_end_with_a_reset_by_mail_and_with_a_password_change_unless_kept(app, db, client,
                                                                                   customer_client):
    anna = user(db, "anna")
    with writing(db):
        _token, kept = tokens.create_token(db, anna, "integration")
    assert bearer(client, kept) == 200
    assert change_password(customer_client, keep_tokens=True).status_code == 302
    assert bearer(client, kept) == 200  # the user chose to keep it
    with writing(db):
        _token, second = tokens.create_token(db, user(db, "anna"), "another")
    data = {"csrf_token": form_token(customer_client), "current": NEW, "password": NEW + "x", "repeated": NEW + "x"}
    assert customer_client.post("/auth/profile/password", data=data).status_code == 302
    assert bearer(client, kept) == 401 and bearer(client, second) == 401  # ended by default
    with writing(db):
        _token, third = tokens.create_token(db, user(db, "anna"), "third")
    page = client.get("/auth/forgot").get_data(as_text=True)
    client.post("/auth/forgot", data={"csrf_token": csrf_token(page), "email": "anna.lindberg@ekholmsbygg.example"})
    reset = link_in(last_mail(db, "anna.lindberg@ekholmsbygg.example", "password_reset"))
    form = client.get(reset).get_data(as_text=True)
    assert client.post(reset, data={"csrf_token": csrf_token(form), "password": NEW + "yz",
                                    "repeated": NEW + "yz"}).status_code == 302
    assert bearer(app.test_client(), third) == 401  # an account recovery ends every token


def test_password_only_sessions_end_when_the_organisation_starts_requiring_a_code(app, db, customer_client,
                                                                                  admin_client):
    assert customer_client.get("/tickets/").status_code == 200
    ekholm = db.scalar(select(Organisation).where(Organisation.key == "ekholm"))
    page = admin_client.get(f"/users/?organisation={ekholm.id}").get_data(as_text=True)
    admin_client.post("/users/two-factor", data={"csrf_token": csrf_token(page), "organisation": ekholm.id,
                                                 "required": "1"})
    fresh(db)
    assert db.get(Organisation, ekholm.id).require_two_factor
    assert customer_client.get("/tickets/").status_code == 302  # Anna logs in again, with a code
    assert admin_client.get("/").status_code == 200  # staff, logged in with a code, stay


def test_a_session_without_a_code_ends_wherever_a_code_becomes_required(app, db, customer_client):
    assert customer_client.get("/tickets/").status_code == 200
    with writing(db):  # however it came to be required (here: set in the database)
        user(db, "anna").organisation.require_two_factor = True
    assert customer_client.get("/tickets/").status_code == 302


# -- 4. enrolment ------------------------------------------------------------------------------------------

def password_step(client, username, next_url=""):
    page = client.get("/auth/login").get_data(as_text=True)
    return client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": username,
                                            "password": DEMO_PASSWORD, "next": next_url})


def without_second_factor(db, username):
    with writing(db):
        user(db, username).totp_secret = None


def shown_key(page: str) -> str:
    return re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)


def test_an_enrolment_page_left_open_cannot_replace_a_key_set_up_since(app, db):
    without_second_factor(db, "admin")
    left_open, later = app.test_client(), app.test_client()
    old_page = password_step(left_open, "admin").get_data(as_text=True)
    key = shown_key(old_page)
    page = password_step(later, "admin").get_data(as_text=True)
    done = later.post("/auth/login/enrol", data={"csrf_token": csrf_token(page),
                                                 "code": pyotp.TOTP(shown_key(page)).now()})
    assert done.status_code == 200 and later.get("/").status_code == 200
    fresh(db)
    set_up = user(db, "admin").totp_secret
    stale = left_open.post("/auth/login/enrol", data={"csrf_token": csrf_token(old_page),
                                                      "code": pyotp.TOTP(key).at(int(time.time()) + 30)})
    assert stale.status_code == 302 and left_open.get("/").status_code == 302  # not logged in
    fresh(db)
    assert user(db, "admin").totp_secret == set_up  # and nothing replaced


def test_an_enrolled_user_cannot_enrol_again(app, db, client):
    page = password_step(client, "support").get_data(as_text=True)
    assert 'action="/auth/login/code"' in page
    refused = client.post("/auth/login/enrol", data={"csrf_token": csrf_token(page), "code": second_factor.code()})
    assert refused.status_code == 302 and client.get("/").status_code == 302
    fresh(db)
    assert user(db, "support").totp_secret == second_factor.STAFF_SECRET


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "javascript:alert(1)",
                                    "/\\evil.example"])
def test_continue_after_enrolment_stays_on_the_site(app, db, client, target):
    without_second_factor(db, "admin")
    page = password_step(client, "admin", next_url=target).get_data(as_text=True)
    done = client.post("/auth/login/enrol", data={"csrf_token": csrf_token(page),
                                                  "code": pyotp.TOTP(shown_key(page)).now()})
    link = re.search(r'<a class="button primary" href="([^"]*)"', done.get_data(as_text=True)).group(1)
    assert link == "/" or (link.startswith("/") and not link.startswith("//") and "evil" not in link)


def session_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_the_key_being_set_up_is_never_in_the_session_cookie(app, db, client, customer_client):
    without_second_factor(db, "admin")
    key = shown_key(password_step(client, "admin").get_data(as_text=True))
    assert key not in session_cookie(app, client)
    page = customer_client.get("/auth/two-factor").get_data(as_text=True)
    assert 'id="totp-secret"' not in page  # the password first
    wrong = customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page), "password": "fel"})
    assert wrong.status_code == 400 and 'id="totp-secret"' not in wrong.get_data(as_text=True)
    shown = customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page), "password": DEMO_PASSWORD})
    key = shown_key(shown.get_data(as_text=True))
    assert key not in session_cookie(app, customer_client)


def test_new_recovery_codes_ask_for_the_password_or_a_current_code(app, db, support_client):
    profile = support_client.get("/auth/profile").get_data(as_text=True)
    refused = support_client.post("/auth/two-factor/recovery-codes", data={"csrf_token": csrf_token(profile)})
    assert refused.status_code == 422 and "<li><code>" not in refused.get_data(as_text=True)
    wrong = support_client.post("/auth/two-factor/recovery-codes", data={"csrf_token": csrf_token(profile),
                                                                         "recovery_password": "fel"})
    assert wrong.status_code == 422
    made = support_client.post("/auth/two-factor/recovery-codes", data={"csrf_token": csrf_token(profile),
                                                                        "recovery_password": DEMO_PASSWORD})
    assert made.status_code == 200 and len(re.findall(r"<li><code>", made.get_data(as_text=True))) == 10


# -- 5. flooding and enumeration ---------------------------------------------------------------------------

def ask_for_a_user(client, n, company="Ekholms Bygg AB", address="198.51.100.7"):
    page = client.get("/auth/request-account").get_data(as_text=True)
    return client.post("/auth/request-account", environ_base={"REMOTE_ADDR": address}, data={
        "csrf_token": csrf_token(page), "name": f"Person {n}", "email": f"person{n}@flood.example",
        "company": company})


def test_requests_for_a_user_are_limited_by_client_address_and_by_whom_they_reach(app, db, client,
                                                                                 customer_admin_client):
    answers = {ask_for_a_user(client, n).get_data(as_text=True).count("flood.example") for n in range(8)}
    fresh(db)
    from_one = db.scalar(select(func.count(AccountRequest.id)).where(AccountRequest.client_address == "198.51.100.7"))
    assert from_one == account_requests.PER_CLIENT_A_DAY  # the rest dropped, and the answer the same
    for n in range(8, 20):
        assert ask_for_a_user(client, n, address=f"203.0.113.{n}").status_code == 200
    fresh(db)
    mailed = db.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "account_request", OutboxMessage.recipient == "erik@ekholmsbygg.example"))
    assert mailed == account_requests.MAILED_PER_TARGET_A_DAY  # Erik's inbox is not flooded...
    assert db.scalar(select(func.count(AccountRequest.id)).where(AccountRequest.email.like("%@flood.example"))) == 17
    assert "Person 19" in customer_admin_client.get("/users/requests").get_data(as_text=True)  # ...the rest wait
    assert len(answers) == 1


def test_new_password_links_are_limited_and_last_hours_not_days(app, db, customer_admin_client):
    page = customer_admin_client.get("/users/").get_data(as_text=True)
    customer_admin_client.post("/users/invite", data={"csrf_token": csrf_token(page), "name": "Maja Nyström",
                                                      "email": "maja@ekholmsbygg.example", "role": "customer"})
    fresh(db)
    maja = db.scalar(select(User).where(User.email == "maja@ekholmsbygg.example"))
    link = db.scalar(select(AccountLink).where(AccountLink.user_id == maja.id))
    assert link.expires_at - link.created_at <= timedelta(hours=24)
    statuses = []
    for _ in range(4):
        customer_admin_client.post(f"/users/{maja.id}/invite", data={"csrf_token": form_token(customer_admin_client,
                                                                                             "/users/")})
        fresh(db)
        statuses.append(db.scalar(select(func.count(AccountLink.id)).where(AccountLink.user_id == maja.id)))
    assert statuses == [2, 3, 3, 3]  # three links an hour, then none


def test_inviting_a_taken_username_answers_as_a_free_one_would(app, db, customer_admin_client):
    def invite(username, n):
        page = customer_admin_client.get("/users/").get_data(as_text=True)
        response = customer_admin_client.post("/users/invite", data={
            "csrf_token": csrf_token(page), "name": f"Ny Person {n}", "email": f"ny{n}@ekholmsbygg.example",
            "username": username, "role": "customer"})
        return response.status_code, response.headers.get("Location")

    assert invite("support", 1) == invite("no-such-user-here", 2)  # staff's username: not told
    flashes = customer_admin_client.get("/users/").get_data(as_text=True)
    assert "Användarnamnet är upptaget." not in flashes
    fresh(db)
    newcomer = db.scalar(select(User).where(User.email == "ny1@ekholmsbygg.example"))
    assert newcomer.username != "support" and user(db, "support").role.is_staff
    mail = last_mail(db, "ny1@ekholmsbygg.example", "invitation")
    assert newcomer.username in mail.body_text  # the person learns their username from the mail


# -- 6. spreadsheet formulas in CSV -------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_a_cell_that_would_be_a_formula_is_text(cell):
    assert spreadsheet_cell(cell) == "'" + cell


def test_numbers_and_plain_text_stay_as_they_are():
    assert [spreadsheet_cell(v) for v in ("-12", "3,5", "Lön", 7, "a=b")] == ["-12", "3,5", "Lön", 7, "a=b"]


def test_a_catalogue_value_with_a_formula_is_text_in_the_reports_csv(db, support_client):
    formula = '=HYPERLINK("http://evil.example","x")'
    with writing(db):
        for n, product in enumerate(db.scalars(select(CatalogueEntry).where(
                CatalogueEntry.kind == CatalogueKind.PRODUCT))):
            product.label_sv = product.label_fi = formula
            product.code = formula[:-1] + str(n) + ")"  # as the reports' CSV names a product
    rows = support_client.get("/reports/tickets.csv", query_string={"from": "2000-01-01", "to": "2002-12-31"})
    text = support_client.get("/reports/tickets.csv", query_string={"from": "2024-01-01", "to": "2026-12-31"}
                              ).get_data(as_text=True)
    assert rows.status_code == 200
    cells = [cell for line in text.splitlines()[1:] for cell in next(csv.reader([line], delimiter=";"))]
    assert cells and not any(cell.startswith(formula[:10]) for cell in cells)
    assert any(cell.startswith("'" + formula[:10]) for cell in cells)
    assert not any(cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell) for cell in cells)


# -- 7. no state changes on a GET from a mail link ----------------------------------------------------------

def test_opening_the_email_link_confirms_nothing(db, customer_client, client):
    ask_for_new_address(customer_client, "anna@scanned.example")
    path = link_in(last_mail(db, "anna@scanned.example", "email_confirmation"))
    for _ in range(3):  # a mail scanner, a preview, the person
        assert client.get(path).status_code == 200
    fresh(db)
    assert user(db, "anna").email == "anna.lindberg@ekholmsbygg.example"
    page = client.get(path).get_data(as_text=True)
    assert 'method="post"' in page
    assert client.post(path, data={"csrf_token": csrf_token(page)}).status_code == 302
    fresh(db)
    assert user(db, "anna").email == "anna@scanned.example"


# -- where the list is silent: what OWASP ASVS 5.0 level 2 asks of authentication and sessions ---------------

def test_the_user_is_told_by_mail_when_their_password_or_second_factor_changes(app, db, customer_client):
    assert change_password(customer_client).status_code == 302
    notice = last_mail(db, "anna.lindberg@ekholmsbygg.example", "security_notice")
    assert notice is not None and "lösenord" in notice.body_text and "/auth/forgot" in notice.body_text
    page = customer_client.get("/auth/two-factor").get_data(as_text=True)
    page = customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page),
                                                          "password": NEW}).get_data(as_text=True)
    customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page),
                                                   "code": pyotp.TOTP(shown_key(page)).now()})
    db.rollback()
    notices = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "security_notice",
                                                     OutboxMessage.recipient == "anna.lindberg@ekholmsbygg.example"))
    assert len(list(notices)) == 2


def test_the_session_cookie_is_secure_when_the_portal_is_served_over_https(instance):
    for base, secure in ((BASE, True), ("http://127.0.0.1:5000", False)):
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "s", "BASE_URL": base})
        try:
            assert app.config["SESSION_COOKIE_SECURE"] is secure
        finally:
            app.extensions["kb_database"].dispose()


def test_password_links_asked_from_one_client_address_are_limited(app, db, client, monkeypatch):
    monkeypatch.setattr(accounts, "RESETS_PER_HOUR", 100)  # the limit per user aside
    for n in range(accounts.RESETS_PER_CLIENT_HOUR + 3):
        page = client.get("/auth/forgot").get_data(as_text=True)
        address = ("anna.lindberg@ekholmsbygg.example", "mikko.laine@kuljetusvirtanen.example",
                   "erik@ekholmsbygg.example")[n % 3]
        response = client.post("/auth/forgot", environ_base={"REMOTE_ADDR": "198.51.100.9"},
                               data={"csrf_token": csrf_token(page), "email": address})
        assert response.status_code == 200  # the same answer, spent or not
    db.rollback()
    assert db.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "password_reset")) == accounts.RESETS_PER_CLIENT_HOUR
