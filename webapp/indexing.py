"""The app's experience index, and the drain that brings it up to date after each write."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request

from indexer.experience import ExperienceIndex


def get_index() -> ExperienceIndex:
    return current_app.extensions["kb_index"]


def _drain(app: Flask) -> None:
    try:
        app.extensions["kb_index"].sync(app.extensions["kb_database"])
    except Exception:  # the queue keeps the work; `kb index sync` or the next request applies it
        app.logger.exception("index sync failed")


def init_app(app: Flask) -> None:
    app.extensions["kb_index"] = ExperienceIndex(Path(app.instance_path) / "index")

    @app.after_request
    def _drain_after_writes(response):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response.call_on_close(lambda: _drain(app))
        return response
