"""One database per app, one session per request."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g

from kb.catalogue import CatalogueCache, Snapshot
from kb.db import Database, KbSession, WriteContext
from kb.mail.settings import MailSettings


def get_session() -> KbSession:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kb_database"].session(WriteContext(mail=mail_settings()))
    return g.db_session


def cached_catalogue() -> Snapshot:
    """The catalogue's labels and products, kept per process and read again when an entry changed."""
    if "catalogue" not in g:
        g.catalogue = current_app.extensions["kb_catalogue"].read(get_session())
    return g.catalogue


def mail_settings() -> MailSettings:
    """The app's mail settings, made once: links point at BASE_URL, whatever host a request names."""
    settings = current_app.extensions.get("kb_mail_settings")
    if settings is None:
        settings = current_app.extensions["kb_mail_settings"] = MailSettings.from_config(
            current_app.config, Path(current_app.instance_path))
    return settings


def edited_or_404(model, ident: int | None):
    """The row of an edit page: None on the page that makes a new one (no id), 404 for an unknown id."""
    if ident is None:
        return None
    item = get_session().get(model, ident)
    if item is None:
        abort(404)
    return item


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.extensions["kb_database"] = Database(app.config["DATABASE_URL"])
    app.extensions["kb_catalogue"] = CatalogueCache()
    app.teardown_appcontext(_close_session)
