"""Fixtures: an app on a temporary instance (a copy of a demo database), clients per role, a CLI runner."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import config, migrate
from kb.db import Database
from kb.testing.postgres import ThrowawayPostgres
from kb.testing.second_factor import code, give_staff_a_second_factor
from kb.demo import load_demo
from webapp import create_app
from webapp.cli import cli

DEMO_PASSWORD = "demo"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A database with the schema and the demo data, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    url = f"sqlite:///{folder / 'kb.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        load_demo(session, config.data_path())
        give_staff_a_second_factor(session)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return folder / "kb.sqlite3"


# The databases the database-facing tests run on: both, unless KB_TEST_DATABASES names one.
DATABASES = [name for name in os.environ.get("KB_TEST_DATABASES", "sqlite,postgresql").split(",") if name]


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for the whole run (kb/testing/postgres.py), with a template database
    holding the schema and the demo data."""
    with ThrowawayPostgres() as server:
        server.drop_template("kb_template")  # left by an earlier run on a server named by KB_TEST_POSTGRES_URL
        url = server.create_database(name="kb_template")
        migrate.upgrade(url)
        database = Database(url)
        with database.session() as session:
            load_demo(session, config.data_path())
            give_staff_a_second_factor(session)
        database.dispose()
        yield server


@pytest.fixture(params=DATABASES)
def database_kind(request) -> str:
    """sqlite or postgresql; a test marked `sqlite_only` checks what only SQLite does."""
    if request.param != "sqlite" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite only")
    return request.param


@pytest.fixture
def instance(tmp_path, database_kind, request, monkeypatch) -> Iterator[Path]:
    """An instance folder with a copy of the demo database: SQLite in the folder, or a PostgreSQL database."""
    path = tmp_path / "instance"
    config.ensure_instance(path)
    monkeypatch.setenv("KB_INSTANCE", str(path))
    if database_kind == "sqlite":
        shutil.copy(request.getfixturevalue("demo_template"), path / "kb.sqlite3")
        monkeypatch.delenv("KB_DATABASE_URL", raising=False)
        yield path
        return
    server = request.getfixturevalue("postgres")
    url = server.create_database(template="kb_template")
    monkeypatch.setenv("KB_DATABASE_URL", url)
    yield path
    server.drop_database(url)


@pytest.fixture
def empty_database_url(database_kind, tmp_path, request) -> str:
    """A new database without a schema: a SQLite file, or a database of the throw-away PostgreSQL."""
    if database_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    server = request.getfixturevalue("postgres")
    url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return url


@pytest.fixture
def database_url(instance) -> str:
    """The URL of the test's database, SQLite or PostgreSQL."""
    return os.environ.get("KB_DATABASE_URL") or f"sqlite:///{instance / 'kb.sqlite3'}"


@pytest.fixture
def attachment_storage() -> str:
    """ATTACHMENT_STORAGE of the test's app; a test parametrized with this name runs on the others too."""
    return "folder"


@pytest.fixture
def app(instance, attachment_storage):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "test-secret",
                      "ATTACHMENT_STORAGE": attachment_storage})
    yield app
    app.extensions["kb_database"].dispose()


@pytest.fixture
def db(app):
    """A session on the app's database, for arranging and checking."""
    with app.extensions["kb_database"].session() as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(instance):
    """Invokes `kb` commands on the test instance."""
    class Runner:
        def invoke(self, *args, **kwargs):
            return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)
    return Runner()


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD, language: str | None = None):
        page = self.client.get("/auth/login").get_data(as_text=True)
        data = {"csrf_token": csrf_token(page), "username": username, "password": password}
        if language:
            data["language"] = language
        response = self.client.post("/auth/login", data=data)
        if b'action="/auth/login/code"' in response.data:  # staff: the code of their authenticator app too
            return self.code(username)
        return response

    def code(self, username: str, value: str | None = None):
        """The second step of a login. A code is taken once: the test's logins of one user come faster
        than codes change, so the last one taken is forgotten first."""
        from sqlalchemy import update

        from kb.models import User

        with self.client.application.extensions["kb_database"].session() as session:
            session.execute(update(User).where(User.username == username).values(totp_last_step=None))
            session.commit()
        page = self.client.get("/auth/login/code").get_data(as_text=True)
        return self.client.post("/auth/login/code", data={"csrf_token": csrf_token(page), "code": value or code()})

    def post(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the CSRF token of the home page."""
        page = self.client.get("/").get_data(as_text=True)
        return self.client.post(url, data={"csrf_token": csrf_token(page), **(data or {})}, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


def _client_as(app, username):
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 302, f"{username} could not log in"
    return client


def _client_of(username: str):
    """A fixture: a test client logged in as `username` of the demo data."""
    @pytest.fixture
    def fixture(app):
        return _client_as(app, username)
    return fixture


customer_client = _client_of("anna")
customer_admin_client = _client_of("erik")
finnish_client = _client_of("mikko")
partner_client = _client_of("partner")
support_client = _client_of("support")
admin_client = _client_of("admin")


@pytest.fixture
def index(app):
    """The app's index, built from the demo data (once per test, whatever Hypothesis does)."""
    ix = app.extensions["kb_index"]
    ix.rebuild(app.extensions["kb_database"])
    return ix
