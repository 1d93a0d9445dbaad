"""Trust of accounts and login, second round (issue 28): links in mail from the configured address only,
credential changes that end what they should, counters that hold under parallel clients, enrolment,
flooding and enumeration, spreadsheet formulas in CSV, and no state changed by a GET from a mail link."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kb.models import OutboxMessage
from webapp import create_app

from .conftest import csrf_token

BASE = "https://support.aurora.example"


def last_mail(db, address, kind=None):
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
    settings = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "a-real-secret"}
    with pytest.raises(RuntimeError, match="BASE_URL is not set"):
        create_app(settings)
    with pytest.raises(RuntimeError, match="BASE_URL must be"):
        create_app({**settings, "BASE_URL": "javascript:alert(1)"})
    app = create_app({**settings, "BASE_URL": "http://127.0.0.1:5000"})
    assert set(app.config["TRUSTED_HOSTS"]) == {"127.0.0.1", "localhost", "::1"}
    assert create_app({**settings, "TESTING": True}).config["TRUSTED_HOSTS"] is None
