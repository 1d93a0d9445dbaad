"""Counting the experience database's use for the reports (kb/usage.py): each process counts searches and
opened entries in memory and writes them every USAGE_FLUSH_SECONDS from a background thread."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from kb.db import writing
from kb.models import utcnow
from kb.usage import UsageCounter

from .database import get_session


def counter() -> UsageCounter:
    return current_app.extensions["kb_usage"]


def searched(language: str, mode: str, text: str, found: int) -> None:
    counter().searched(utcnow().date(), language, mode, text, found)


def opened(number: int) -> None:
    counter().opened(utcnow().date(), number)


def flush(app: Flask) -> None:
    """Write this process's counts, in a session of its own (the background thread)."""
    with app.extensions["kb_database"].session() as session, writing(session):
        app.extensions["kb_usage"].flush(session)


def flush_here() -> None:
    """Write this process's counts in the request's session, so that a report drawn next reads them."""
    session = get_session()
    with writing(session):
        counter().flush(session)


def init_app(app: Flask) -> None:
    app.extensions["kb_usage"] = UsageCounter()
    if app.testing:
        return
    seconds = float(app.config.get("USAGE_FLUSH_SECONDS", 10.0))

    def run():
        while True:
            time.sleep(seconds)
            try:
                flush(app)
            except Exception:  # noqa: BLE001  (the counts stay in memory for the next try)
                logging.getLogger(__name__).exception("usage flush failed")

    threading.Thread(target=run, name="kb-usage-flush", daemon=True).start()
