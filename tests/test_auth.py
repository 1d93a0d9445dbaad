"""Logging in, choosing the language, CSRF, home pages per role, the secret-key guard."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.db import writing
from kb.models import User
from webapp import create_app

from .conftest import csrf_token


def text(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_in_swedish_and_finnish(client):
    page = text(client.get("/auth/login", headers={"Accept-Language": "sv"}))
    assert "Logga in" in page and 'lang="sv"' in page
    token = csrf_token(page)
    response = client.post("/language", data={"csrf_token": token, "language": "fi", "next": "/auth/login"})
    assert response.status_code == 302 and response.location.endswith("/auth/login")
    page = text(client.get("/auth/login"))
    assert "Kirjaudu sisään" in page and 'lang="fi"' in page
    assert "Käyttäjätunnus" in page and "Salasana" in page


def test_browser_language_is_the_first_guess(client):
    assert 'lang="fi"' in text(client.get("/auth/login", headers={"Accept-Language": "fi-FI,fi;q=0.9"}))
    assert 'lang="sv"' in text(client.get("/auth/login", headers={"Accept-Language": "en-US"}))


@pytest.mark.parametrize("language,welcome", [("sv", "Välkommen"), ("fi", "Tervetuloa")])
def test_language_chosen_at_login_is_stored_on_the_user(auth, db, language, welcome):
    response = auth.login("anna", language=language)
    assert response.status_code == 302
    assert welcome in text(auth.client.get("/"))
    assert db.scalar(select(User.language).where(User.username == "anna")) == language


def test_language_switch_on_any_page_persists(customer_client, db):
    page = text(customer_client.get("/"))
    assert "Välkommen" in page
    customer_client.post("/language", data={"csrf_token": csrf_token(page), "language": "fi", "next": "/"})
    assert "Tervetuloa" in text(customer_client.get("/"))
    assert db.scalar(select(User.language).where(User.username == "anna")) == "fi"


@pytest.mark.parametrize("language,message", [("sv", "Fel användarnamn eller lösenord"),
                                              ("fi", "Väärä käyttäjätunnus tai salasana")])
def test_wrong_password_message_in_the_users_language(client, auth, language, message):
    client.post("/language", data={"csrf_token": csrf_token(text(client.get("/auth/login"))), "language": language})
    response = auth.login("anna", "wrong")
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'value="anna"' in page  # what was typed is kept


def test_empty_fields_get_messages(client):
    page = text(client.get("/auth/login", headers={"Accept-Language": "fi"}))
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "", "password": ""},
                           headers={"Accept-Language": "fi"})
    assert "Anna käyttäjätunnuksesi" in text(response) and "Anna salasanasi" in text(response)


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/auth/login", data={"username": "anna", "password": "demo"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still logged out


def test_logout_needs_post_with_csrf(customer_client):
    assert customer_client.get("/auth/logout").status_code == 405
    assert customer_client.post("/auth/logout").status_code == 400
    page = text(customer_client.get("/"))
    response = customer_client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert customer_client.get("/").status_code == 302


def test_home_requires_login_and_next_is_kept(client):
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_next_never_leads_off_site(client):
    page = text(client.get("/auth/login?next=//evil.example/x"))
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "anna",
                                                "password": "demo", "next": "//evil.example/x"})
    assert response.status_code == 302 and response.location == "/"


def test_inactive_user_cannot_log_in_and_loses_session(app, db, customer_client, auth):
    with writing(db):
        anna = db.scalar(select(User).where(User.username == "anna"))
        anna.active = False
        anna.session_version += 1
    assert customer_client.get("/").status_code == 302
    assert auth.login("anna").status_code == 400


@pytest.mark.parametrize("client_fixture,heading", [
    ("customer_client", "Välkommen, Anna Lindberg"),
    ("finnish_client", "Tervetuloa, Mikko Laine"),
    ("partner_client", "Välkommen, Petra Nordin"),
    ("support_client", "Supportdesk"),
    ("admin_client", "Administration"),
])
def test_home_page_per_role(request, app, client_fixture, heading):
    page = text(request.getfixturevalue(client_fixture).get("/"))
    assert heading in page


def test_customer_home_shows_only_own_organisation_and_the_disruption(customer_client, partner_client):
    page = text(customer_client.get("/"))
    assert "bankfiler" in page  # the active disruption notice
    assert "Planerat underhåll" not in page  # an ended one
    partner_page = text(partner_client.get("/"))
    assert page != partner_page


def test_security_headers(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_refuses_to_start_with_the_default_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="secret key"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True}).testing


# -- sessions that end, logins that are throttled, passwords that are not guessed, redirects that stay ---

def _copy_of(app, client):
    """A second browser holding a copy of the client's session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_copied_session_cookie_stops_working_at_logout(app, customer_client):
    stolen = _copy_of(app, customer_client)
    assert stolen.get("/").status_code == 200
    customer_client.post("/auth/logout", data={"csrf_token": csrf_token(text(customer_client.get("/")))})
    assert stolen.get("/").status_code == 302 and stolen.get("/api/v1/tickets").status_code == 401


def test_a_new_password_ends_every_session(app, admin_client, customer_client, db):
    stolen = _copy_of(app, customer_client)
    anna = db.scalar(select(User).where(User.username == "anna"))
    page = text(admin_client.get("/admin/users"))
    assert admin_client.post(f"/admin/users/{anna.id}/reset-password",
                             data={"csrf_token": csrf_token(page)}).status_code == 200
    assert customer_client.get("/").status_code == 302 and stolen.get("/").status_code == 302


def test_logging_out_ends_only_that_session(app, auth):
    other = app.test_client()
    from .conftest import AuthActions
    assert AuthActions(other).login("anna").status_code == 302
    assert auth.login("anna").status_code == 302
    auth.client.post("/auth/logout", data={"csrf_token": csrf_token(text(auth.client.get("/")))})
    assert other.get("/").status_code == 200  # the same user in another browser stays logged in


@pytest.mark.parametrize("language,message", [("sv", "För många felaktiga lösenord"),
                                              ("fi", "Liian monta väärää salasanaa")])
def test_wrong_passwords_lock_the_username_whether_it_exists_or_not(client, auth, runner, language, message):
    client.post("/language", data={"csrf_token": csrf_token(text(client.get("/auth/login"))), "language": language})
    for username in ("anna", "nobody-here"):
        answers = [auth.login(username, "wrong-password").status_code for _ in range(5)]
        assert answers == [400] * 5
        locked = auth.login(username, "wrong-password")
        assert locked.status_code == 429 and message in text(locked)
    right = auth.login("anna")  # the right password is not even checked while locked
    assert right.status_code == 429 and client.get("/").status_code == 302
    result = runner.invoke("user", "unlock", "anna")
    assert result.exit_code == 0 and "anna" in result.output
    assert auth.login("anna").status_code == 302


def test_many_usernames_from_one_address_lock_the_address(client, auth):
    for n in range(20):
        assert auth.login(f"guess{n}", "wrong-password").status_code == 400
    assert auth.login("erik").status_code == 429


def test_an_administrator_sees_and_lifts_a_lock(app, admin_client, db):
    from kb import throttle
    with writing(db):
        for _ in range(5):
            throttle.failed(db, "anna", "192.0.2.1")
    page = text(admin_client.get("/admin/users"))
    assert "Inloggningen låst till" in page
    anna = db.scalar(select(User).where(User.username == "anna"))
    admin_client.post(f"/admin/users/{anna.id}/unlock", data={"csrf_token": csrf_token(page)})
    assert "Inloggningen låst till" not in text(admin_client.get("/admin/users"))
    with app.extensions["kb_database"].session() as session:
        assert throttle.locked_until(session, "anna", None) is None


@pytest.mark.parametrize("password,problem", [
    ("demo", "minst 10 tecken"), ("password123", "vanligaste"), ("qwertyuiop", "vanligaste"), ("Qwertyuiop", "vanligaste"),
])
def test_short_and_common_passwords_are_refused(admin_client, password, problem):
    page = text(admin_client.get("/admin/users/new"))
    response = admin_client.post("/admin/users/new", data={
        "csrf_token": csrf_token(page), "username": "ny.anvandare", "password": password, "name": "Ny Användare",
        "organisation": "1", "role": "customer", "language": "sv"})
    assert response.status_code == 422 and problem in text(response)


BYPASSES = ["//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/%09/evil.example",
            "https:evil.example", "https://evil.example", "javascript:alert(1)", "//user@evil.example",
            "/\r\nSet-Cookie: x=1", "/\n/evil.example", " /evil", "/\x00/evil.example"]


def _stays_here(location: str) -> bool:
    from urllib.parse import urlsplit
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and not location.startswith("//") and \
        not any(c < " " or c == "\\" for c in location)


@pytest.mark.parametrize("target", BYPASSES)
def test_next_never_leads_off_site_at_login_or_language_switch(client, target):
    page = text(client.get("/auth/login"))
    response = client.post("/language", data={"csrf_token": csrf_token(page), "language": "fi", "next": target})
    assert response.status_code == 302 and _stays_here(response.location)
    response = client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "anna",
                                                "password": "demo", "next": target})
    assert response.status_code == 302 and _stays_here(response.location)


@pytest.mark.parametrize("target", BYPASSES[:6])
def test_support_actions_never_redirect_off_site(support_client, target):
    from kb.models import Ticket
    page = text(support_client.get("/support/"))
    number = support_client.application.extensions["kb_database"].session().scalar(select(Ticket.number).limit(1))
    response = support_client.post(f"/support/tickets/{number}/assign", data={"csrf_token": csrf_token(page),
                                                                               "next": target})
    assert response.status_code == 302 and _stays_here(response.location)


def test_signed_in_pages_and_api_answers_are_not_stored(customer_client, client):
    assert customer_client.get("/").headers["Cache-Control"] == "no-store"
    assert customer_client.get("/api/v1/tickets").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/tickets").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
