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
def test_home_page_per_role(request, client_fixture, heading):
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
