"""What the web app keeps between requests to make them cheaper never shows anything stale or another's."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from kb import access
from kb import tickets as workflow
from kb.db import writing
from kb.models import CatalogueEntry, CatalogueKind, Status, Ticket, User
from webapp import create_app

from .conftest import _client_as
from .test_admin import token


def _payroll(db) -> CatalogueEntry:
    return db.scalar(select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT,
                                                  CatalogueEntry.code == "payroll"))


def test_a_catalogue_label_an_administrator_edits_shows_on_the_next_page_of_every_worker(
        app, instance, db, admin_client, customer_client):
    other = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "test-secret"})
    try:
        workers = (customer_client, _client_as(other, "anna"))  # two processes' caches on one database
        for client in workers:
            assert "Aurora Lön" in client.get("/experience/").get_data(as_text=True)
        entry = _payroll(db)
        admin_client.post("/admin/catalogue", data={"csrf_token": token(admin_client), "id": str(entry.id),
                                                     "label_sv": "Aurora Lön Plus", "label_fi": entry.label_fi,
                                                     "active": "1"})
        for client in workers:
            assert "Aurora Lön Plus" in client.get("/experience/").get_data(as_text=True)
    finally:
        other.extensions["kb_database"].dispose()


def test_a_catalogue_change_made_outside_the_web_app_shows_on_the_next_page(db, customer_client):
    assert "Aurora Lön" in customer_client.get("/experience/").get_data(as_text=True)
    with writing(db):
        _payroll(db).active = False  # as a command or an import would, in a process of its own
    assert "Aurora Lön" not in customer_client.get("/experience/").get_data(as_text=True)


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs inside the block."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)
    engine = app.extensions["kb_database"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_the_ticket_page_reads_as_many_statements_however_many_comments_it_shows(app, db, customer_client):
    anna = db.scalar(select(User).where(User.username == "anna"))
    support = db.scalar(select(User).where(User.username == "support"))
    ticket = db.scalar(access.visible_tickets(anna).where(Ticket.status == Status.NEW))
    customer_client.get(f"/tickets/{ticket.number}")
    with statements(app) as before:
        customer_client.get(f"/tickets/{ticket.number}")
    with writing(db):
        for author, body in ((support, "Vilken version kör ni?"), (anna, "2024.1"), (support, "Tack, vi tittar.")):
            workflow.add_comment(db, ticket, author, body)
    with statements(app) as after:
        page = customer_client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Tack, vi tittar." in page
    assert len(after) == len(before), after
