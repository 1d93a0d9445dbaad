"""The second step of a login (the code of an authenticator app, or a recovery code), setting it up where
it is required, and turning it on or off from the profile (kb/two_factor.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from kb import throttle, two_factor
from kb.db import writing

from ..database import get_session
from ..validation import field_errors
from .login import PENDING, finish_login, pending_user, second_step_page, staff_two_factor
from .routes import bp


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user, state = pending_user()
    if user is None:
        flash(_("Log in again: the login had waited too long."), "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET" or "secret" in state:
        return second_step_page(user, state)
    db, address = get_session(), request.remote_addr
    until = throttle.locked_until(db, user.username, address)
    if until is not None:
        minutes = throttle.minutes_left(until)
        return second_step_page(user, state, {"code": ngettext(
            "Too many wrong passwords. Try again in %(num)d minute.",
            "Too many wrong passwords. Try again in %(num)d minutes.", minutes)}, 429)
    with writing(db):
        right = two_factor.verify(db, user, request.form.get("code", ""))
        if not right:
            throttle.failed(db, user.username, address)
    if not right:
        return second_step_page(user, state, {"code": two_factor.WRONG_CODE}, 400)
    session.pop(PENDING, None)
    return finish_login(user, state["language"], state["next"])


@bp.post("/login/enrol")
def login_enrol():
    """Setting up the second factor where it is required, before the first login with it."""
    user, state = pending_user()
    if user is None or "secret" not in state:
        return redirect(url_for("auth.login"))
    db = get_session()
    with field_errors() as errors, writing(db):
        codes = two_factor.enrol(db, user, state["secret"], request.form.get("code", ""))
    if errors:
        return second_step_page(user, state, errors, 400)
    session.pop(PENDING, None)
    finish_login(user, state["language"], None)
    return render_template("auth/recovery_codes.html", codes=codes, next=state["next"] or url_for("main.home"))


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_enrol():
    """Turning it on from the profile: the QR code, then the first code."""
    db = get_session()
    if two_factor.enrolled(current_user):
        return redirect(url_for("auth.profile"))
    secret = session.get("two_factor_secret") if request.method == "POST" else None
    if not secret:
        secret = session["two_factor_secret"] = two_factor.new_secret()
    errors = {}
    if request.method == "POST":
        with field_errors() as errors, writing(db):
            codes = two_factor.enrol(db, current_user, secret, request.form.get("code", ""))
        if not errors:
            session.pop("two_factor_secret", None)
            return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.profile"))
    return render_template("auth/two_factor_enrol.html", user=current_user, secret=secret,
                           qr=two_factor.qr_svg(current_user, secret), action=url_for("auth.two_factor_enrol"),
                           errors=errors, page_url=url_for("auth.two_factor_enrol")), 400 if errors else 200


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    db = get_session()
    if not two_factor.enrolled(current_user):
        return redirect(url_for("auth.profile"))
    with writing(db):
        codes = two_factor.new_recovery_codes(db, current_user)
    return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.profile"))


@bp.post("/two-factor/off")
@login_required
def two_factor_off():
    db = get_session()
    with field_errors() as errors, writing(db):
        two_factor.disable(db, current_user, request.form.get("two_factor_password", ""), staff_two_factor())
    if errors:
        from .routes import profile_page
        return profile_page(422, two_factor_errors=errors)
    flash(_("Two-factor login is off."), "success")
    return redirect(url_for("auth.profile"))
