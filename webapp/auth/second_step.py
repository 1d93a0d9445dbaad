"""The second step of a login (the code of an authenticator app, or a recovery code), setting it up where
it is required, and turning it on or off from the profile (kb/two_factor.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user

from kb import credentials, throttle, two_factor
from kb.db import writing

from ..database import get_session
from ..redirects import safe_next
from ..validation import field_errors
from .login import PENDING, finish_login, pending_user, second_step_page, staff_two_factor
from .routes import bp


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user, state = pending_user()
    if user is None:
        flash(_("Log in again: the login had waited too long."), "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET" or (state.get("enrol") and not two_factor.enrolled(user)):
        return second_step_page(user, state)
    db, address = get_session(), request.remote_addr
    with writing(db):  # counted before the check, like a password: parallel guesses take turns
        until = throttle.admit(db, user.username, address)
    if until is not None:
        minutes = throttle.minutes_left(until)
        return second_step_page(user, state, {"code": ngettext(
            "Too many wrong passwords. Try again in %(num)d minute.",
            "Too many wrong passwords. Try again in %(num)d minutes.", minutes)}, 429)
    with writing(db):
        right = two_factor.verify(db, user, request.form.get("code", ""))
        if right:
            throttle.succeeded(db, user.username, address)
    if not right:
        return second_step_page(user, state, {"code": two_factor.WRONG_CODE}, 400)
    session.pop(PENDING, None)
    return finish_login(user, state["language"], state["next"], second_factor=True)


@bp.post("/login/enrol")
def login_enrol():
    """Setting up the second factor where it is required, before the first login with it. Refused for a
    user who has one since (a page left open must not replace it)."""
    user, state = pending_user()
    if user is None or not state.get("enrol"):
        return redirect(url_for("auth.login"))
    db = get_session()
    with field_errors() as errors, writing(db):
        codes = two_factor.enrol(db, user, request.form.get("code", ""))
    if errors.get("code") == two_factor.ALREADY_ON:
        session.pop(PENDING, None)
        flash(_(two_factor.ALREADY_ON), "info")
        return redirect(url_for("auth.login"))
    if errors:
        return second_step_page(user, state, errors, 400)
    session.pop(PENDING, None)
    with writing(db):
        credentials.changed(db, user, credentials.SECOND_FACTOR)  # no session of the user began with this key
        throttle.unlock(db, user.username)  # the login is done: its username's count is cleared
    finish_login(user, state["language"], None, second_factor=True)
    return render_template("auth/recovery_codes.html", codes=codes, next=safe_next(state["next"], url_for("main.home")))


def _confirmed(field: str) -> bool:
    """The user typed their password (or a current code) again in `field`; counted like a login's."""
    db, address = get_session(), request.remote_addr
    with writing(db):
        until = throttle.admit(db, current_user.username, address)
    if until is not None:
        return False
    with writing(db):
        right = two_factor.confirmed(db, current_user, request.form.get(field, ""))
        if right:
            throttle.succeeded(db, current_user.username, address, finished=False)
    return right


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_enrol():
    """Turning it on from the profile: the password first, then the QR code and the first code."""
    db = get_session()
    if two_factor.enrolled(current_user):
        return redirect(url_for("auth.profile"))
    errors, secret = {}, None
    if request.method == "POST" and "code" in request.form:
        with field_errors() as errors, writing(db):
            codes = two_factor.enrol(db, current_user, request.form.get("code", ""))
        if not errors:
            with writing(db):  # other sessions began without this factor: they end, this one goes on
                current_user.login_key = credentials.changed(db, current_user, credentials.SECOND_FACTOR,
                                                             keep=current_user.login_key, second_factor=True)
            login_user(current_user._get_current_object())
            return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.profile"))
        if errors.get("code") == two_factor.ALREADY_ON:
            return redirect(url_for("auth.profile"))
        if errors.get("code") != two_factor.START_AGAIN:
            with writing(db):
                secret = two_factor.pending_secret(db, current_user)
    elif request.method == "POST":
        if _confirmed("password"):
            with writing(db):
                secret = two_factor.pending_secret(db, current_user)
        else:
            errors = {"password": two_factor.NOT_YOU}
    return render_template("auth/two_factor_enrol.html", user=current_user, secret=secret,
                           qr=two_factor.qr_svg(current_user, secret) if secret else None,
                           action=url_for("auth.two_factor_enrol"), errors=errors,
                           page_url=url_for("auth.two_factor_enrol")), 400 if errors else 200


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    """New recovery codes, with the password or a current code again (they log in as well as the app)."""
    db = get_session()
    if not two_factor.enrolled(current_user):
        return redirect(url_for("auth.profile"))
    if not _confirmed("recovery_password"):
        from .routes import profile_page
        return profile_page(422, two_factor_errors={"recovery_password": two_factor.NOT_YOU})
    with writing(db):
        codes = two_factor.new_recovery_codes(db, current_user)
    return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.profile"))


@bp.post("/two-factor/off")
@login_required
def two_factor_off():
    db = get_session()
    with field_errors() as errors, writing(db):
        two_factor.disable(db, current_user, request.form.get("two_factor_password", ""), staff_two_factor())
        current_user.login_key = credentials.changed(db, current_user, credentials.SECOND_FACTOR,
                                                     keep=current_user.login_key)
    if errors:
        from .routes import profile_page
        return profile_page(422, two_factor_errors=errors)
    login_user(current_user._get_current_object())
    flash(_("Two-factor login is off."), "success")
    return redirect(url_for("auth.profile"))
