"""The end of a login, shared by the password step and the code step: a new login session for this
browser, and the half-done login kept between the two steps (in the signed session cookie, ten minutes)."""
from __future__ import annotations

import time

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_login import login_user

from kb import sessions, two_factor
from kb.db import writing
from kb.models import User

from .. import kept
from ..database import get_session
from ..redirects import safe_next

PENDING = "pending_login"
PENDING_SECONDS = 600


def staff_two_factor() -> bool:
    return bool(current_app.config.get("STAFF_TWO_FACTOR", True))


def finish_login(user: User, language: str, next_url: str | None, second_factor: bool = False):
    """The password (and the code, where one is asked) were right: a new login session for this browser."""
    db = get_session()
    with writing(db):
        user.language = language
        user.login_key = sessions.start(db, user, second_factor=second_factor)
    session.clear()
    session["language"] = language
    login_user(user)
    resumed = kept.after_login(user)
    if resumed is not None:
        return resumed
    return redirect(safe_next(next_url, url_for("main.home")))


def begin_second_step(user: User, language: str, next_url: str | None):
    """The password was right: now the code (or, where it is required and not set up, setting it up). The
    login form's kept fields ride along in the page's form."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # the token made before belongs to the old session
    session["language"] = language
    state = {"user": user.id, "version": user.session_version, "at": time.time(), "language": language,
             "next": next_url or ""}
    if not two_factor.enrolled(user):
        state["enrol"] = True  # the key itself waits on the user's row (kb/two_factor.py), not in this cookie
    session[PENDING] = state
    return second_step_page(user, state)


def second_step_page(user: User, state: dict, errors: dict | None = None, status: int = 200):
    carried = {"kept": kept.carried(), "kept_action": request.form.get(kept.ACTION)} if request.method == "POST" else {}
    if state.get("enrol") and not two_factor.enrolled(user):
        db = get_session()
        with writing(db):
            secret = two_factor.pending_secret(db, user)
        return render_template("auth/two_factor_enrol.html", user=user, secret=secret,
                               qr=two_factor.qr_svg(user, secret), action=url_for("auth.login_enrol"),
                               errors=errors or {}, page_url=url_for("auth.login_code"), **carried), status
    return render_template("auth/two_factor_code.html", errors=errors or {}, page_url=url_for("auth.login_code"),
                           **carried), status


def pending_user() -> tuple[User | None, dict]:
    """The user whose login waits for its second step, if it is recent and their sessions unchanged."""
    state = session.get(PENDING) or {}
    if not state or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = get_session().get(User, state.get("user"))
    if user is None or not user.active or user.session_version != state.get("version"):
        return None, {}
    return user, state
