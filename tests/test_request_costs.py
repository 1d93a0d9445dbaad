"""What the web app keeps between requests to make them cheaper never shows anything stale or another's."""
from __future__ import annotations

from sqlalchemy import select

from kb.db import writing
from kb.models import CatalogueEntry, CatalogueKind
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
