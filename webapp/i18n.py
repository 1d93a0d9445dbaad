"""The user's language: stored on the user, chosen on the login page, switchable on every page; and the
user's time zone, in which every time is shown and typed."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user

from kb.config import LANGUAGES
from kb.db import writing
from kb.i18n import choose_language

from .database import get_session
from .redirects import safe_next

bp = Blueprint("language", __name__)


def get_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


# Times are stored in UTC and shown in the time zone of the user's organisation's country (a Swedish
# organisation's, or a Finnish one's), or of the page's language before logging in.
TIME_ZONES = {"sv": "Europe/Stockholm", "fi": "Europe/Helsinki"}


def get_timezone() -> str:
    if current_user and current_user.is_authenticated and current_user.organisation is not None:
        return TIME_ZONES.get(current_user.organisation.language, TIME_ZONES["sv"])
    return TIME_ZONES.get(get_locale(), TIME_ZONES["sv"])


def parse_local_time(value: str) -> datetime:
    """A time typed by the user (YYYY-MM-DDTHH:MM, in their time zone) as an aware UTC datetime; raises
    ValueError when it is not one."""
    typed = datetime.fromisoformat(value)
    if typed.tzinfo is not None:
        return typed.astimezone(timezone.utc)
    return to_utc(typed).replace(tzinfo=timezone.utc)


def local_time_input(value: datetime | None) -> str:
    """A stored time as the value of a datetime-local input, in the user's time zone."""
    return to_user_timezone(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@bp.post("/language")
def switch():
    """Switch the interface language; a logged-in user keeps the choice."""
    language = choose_language(request.form.get("language"))
    session["language"] = language
    if current_user.is_authenticated and current_user.language != language:
        with writing(get_session()):
            current_user.language = language
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))
