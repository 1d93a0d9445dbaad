"""The user's language: stored on the user, chosen on the login page, switchable on every page."""
from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from kb.config import LANGUAGES
from kb.db import writing
from kb.i18n import choose_language

from .database import get_session

bp = Blueprint("language", __name__)


def get_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths are followed after a form, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@bp.post("/language")
def switch():
    """Switch the interface language; a logged-in user keeps the choice."""
    language = choose_language(request.form.get("language"))
    session["language"] = language
    if current_user.is_authenticated and current_user.language != language:
        with writing(get_session()):
            current_user.language = language
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))
