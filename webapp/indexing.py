"""The app's two indexes (the experience database and support's desk index), and the drain that brings the
experience database up to date after each write."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request

from indexer.experience import DeskIndex, ExperienceIndex


def get_index() -> ExperienceIndex:
    """This node's index, brought up to date with the other nodes' changes at most every
    INDEX_FOLLOW_SECONDS (a read of one counter row, mostly)."""
    index = current_app.extensions["kb_index"]
    try:
        index.follow(current_app.extensions["kb_database"])
    except Exception:  # the feed keeps the work; search answers from the index as it is
        current_app.logger.exception("index follow failed")
    return index


def get_desk_index() -> DeskIndex:
    """This node's desk index, with every change committed so far applied (support's searches are few,
    and a ticket just written should be found)."""
    index = current_app.extensions["kb_desk_index"]
    try:
        index.sync(current_app.extensions["kb_database"])
    except Exception:  # the feed keeps the work; search answers from the index as it is
        current_app.logger.exception("desk index sync failed")
    return index


def _drain(app: Flask) -> None:
    try:
        app.extensions["kb_index"].sync(app.extensions["kb_database"])
    except Exception:  # the queue keeps the work; `kb index sync` or the next request applies it
        app.logger.exception("index sync failed")


def init_app(app: Flask) -> None:
    app.extensions["kb_index"] = index = ExperienceIndex.from_settings(Path(app.instance_path), app.config)
    app.extensions["kb_desk_index"] = desk = DeskIndex.from_settings(Path(app.instance_path), app.config)
    if not app.testing:  # each serving process follows the other nodes' changes, also while it serves nothing
        index.follow_in_background(app.extensions["kb_database"])
        desk.follow_in_background(app.extensions["kb_database"])

    @app.after_request
    def _drain_after_writes(response):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response.call_on_close(lambda: _drain(app))
        return response
