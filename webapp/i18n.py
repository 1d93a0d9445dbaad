"""The user's language (stored on the user, chosen on the login page or with the switch of the
`language` blueprint) and time zone, in which every time is shown and typed: Flask-Babel's selectors."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request, session
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user

from kb.config import LANGUAGES, TIME_ZONES
from kb.errors import N_, ValidationError


def get_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


# Times are stored in UTC and shown in the time zone of the user's organisation's country (a Swedish
# organisation's, or a Finnish one's), or of the page's language before logging in.


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


def typed_time(value: str | None, field: str) -> datetime | None:
    """An optional time typed in a form's field; a ValidationError on `field` when it is not one."""
    try:
        return parse_local_time(value) if value else None
    except ValueError:
        raise ValidationError({field: N_("Give the time as YYYY-MM-DD HH:MM.")}) from None


def local_time_input(value: datetime | None) -> str:
    """A stored time as the value of a datetime-local input, in the user's time zone."""
    return to_user_timezone(value).strftime("%Y-%m-%dT%H:%M") if value else ""
