from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from kb import account_requests, accounts, dashboard, sessions, throttle, tokens, two_factor
from kb.db import writing
from kb.i18n import choose_language
from kb.mail import preferences
from kb.users import authenticate

from .. import kept
from ..database import get_session
from ..i18n import get_locale
from ..validation import field_errors
from .forms import LoginForm
from .login import begin_second_step, finish_login, staff_two_factor

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    # Only a language chosen with the buttons overrides the one stored on the user.
    form = LoginForm(language=session.get("language", ""), next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        db = get_session()
        username, address = form.username.data, request.remote_addr
        with writing(db):  # counted before the check: parallel guesses cannot all slip under the limit
            until = throttle.admit(db, username, address)
        user = authenticate(db, username, form.password.data) if until is None else None
        if until is not None:
            minutes = throttle.minutes_left(until)
            form.password.errors.append(ngettext("Too many wrong passwords. Try again in %(num)d minute.",
                                                 "Too many wrong passwords. Try again in %(num)d minutes.", minutes))
            status = 429
        elif user is None:
            form.password.errors.append(_("Wrong username or password."))
        else:
            language = choose_language(form.language.data, user.language)
            second_step = two_factor.enrolled(user) or two_factor.required(user, staff_two_factor())
            with writing(db):
                throttle.succeeded(db, username, address, finished=not second_step)
            if second_step:
                return begin_second_step(user, language, form.next.data)
            return finish_login(user, language, form.next.data)
    carried = {"kept": kept.carried(), "kept_action": request.form.get(kept.ACTION)} if request.method == "POST" else {}
    # The Finnish manual: check the disruption notices before reporting a problem; they are public.
    notices = dashboard.active_notices(get_session())
    return render_template("auth/login.html", form=form, notices=notices, **carried), \
        status if status != 200 or not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    language = current_user.language
    with writing(get_session()):
        sessions.end(get_session(), current_user.login_key or "")
    logout_user()
    session.clear()
    session["language"] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/profile")
@login_required
def profile():
    return profile_page()


def profile_page(status: int = 200, **extra):
    context = {"tokens": tokens.tokens_of(get_session(), current_user), "new_token": None, "errors": {},
               "password_errors": {}, "details_errors": {}, "email_errors": {}, "two_factor_errors": {},
               "details": {}, "new_email": "", "two_factor_required": two_factor.required(current_user, staff_two_factor()),
               "recovery_left": two_factor.recovery_codes_left(get_session(), current_user),
               "page_url": url_for("auth.profile"), **extra}
    return render_template("auth/profile.html", **context), status


@bp.post("/profile/details")
@login_required
def profile_details():
    """The user's own name, phone number and language."""
    db, form = get_session(), request.form
    with field_errors() as errors, writing(db):
        accounts.update_profile(db, current_user, form.get("name", ""), form.get("phone", ""), form.get("language", ""))
    if errors:
        return profile_page(422, details_errors=errors, details=form)
    session["language"] = current_user.language
    flash(_("Your details have been saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/email")
@login_required
def profile_email():
    """A new e-mail address: confirmed from a link mailed to it before it is used."""
    db, form = get_session(), request.form
    with field_errors() as errors, writing(db):
        accounts.request_email_change(db, current_user, form.get("email", ""), form.get("email_password", ""))
    if errors:
        return profile_page(422, email_errors=errors, new_email=form.get("email", ""))
    flash(_("A link to confirm the address is on its way to %(address)s. Until you open it, mail goes to your "
            "old address.", address=form.get("email", "").strip()), "info")
    return redirect(url_for("auth.profile"))


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """A new address is confirmed with the button of this page (a POST): a mail scanner that opens the
    link confirms nothing."""
    db = get_session()
    link = accounts.link_for(db, token, ("email",))
    if link is None:
        return render_template("auth/set_password.html", expired=True, errors={}, link=None), 410
    if request.method == "GET":
        return render_template("auth/confirm_email.html", link=link)
    mine = current_user.is_authenticated and current_user.id == link.user_id
    with field_errors() as errors, writing(db):
        user, key = accounts.confirm_email(db, token, keep=current_user.login_key if mine else None)
    if errors:
        return render_template("auth/set_password.html", expired=True, errors={}, link=None), 410
    if mine:
        user.login_key = key
        login_user(user)  # the cookie names the new session; every other one has ended
    flash(_("Your e-mail address is now %(address)s.", address=user.email), "success")
    return redirect(url_for("auth.profile" if mine else "auth.login"))


@bp.post("/profile/password")
@login_required
def change_password():
    """The user's own new password; every other session of theirs ends, and the API tokens unless kept,
    this browser stays logged in."""
    db, form, user = get_session(), request.form, current_user._get_current_object()
    with field_errors() as errors, writing(db):
        key = accounts.change_password(db, user, form.get("current", ""), form.get("password", ""),
                                       form.get("repeated", ""), keep=user.login_key,
                                       keep_tokens=form.get("keep_tokens") == "1")
    if errors:
        return profile_page(422, password_errors=errors)
    user.login_key = key
    login_user(user)  # the cookie now names the new session
    flash(_("Your password has been changed. Every other session of yours has ended."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """A forgotten password: a link by e-mail. The answer is the same whether the address is a user's."""
    if request.method == "GET":
        return render_template("auth/forgot.html", errors={}, email="", sent=False)
    db, address = get_session(), request.form.get("email", "")
    with field_errors() as errors, writing(db):
        accounts.request_reset(db, address, client_address=request.remote_addr)
    if errors:
        return render_template("auth/forgot.html", errors=errors, email=address, sent=False), 422
    return render_template("auth/forgot.html", errors={}, email=address, sent=True)


@bp.route("/request-account", methods=["GET", "POST"])
def request_account():
    """Ask for a user ("HelpDesk-tunnusten tilaus"): it reaches the organisation's admins, or support. The
    answer is the same whatever organisation was named."""
    form = request.form if request.method == "POST" else {}
    if request.method == "GET":
        return render_template("auth/request_account.html", form=form, errors={}, sent=False)
    db = get_session()
    with field_errors() as errors, writing(db):
        account_requests.submit(db, name=form.get("name", ""), email=form.get("email", ""),
                                company=form.get("company", ""), company_number=form.get("company_number", ""),
                                phone=form.get("phone", ""), message=form.get("message", ""), language=get_locale(),
                                client_address=request.remote_addr)
    if errors:
        return render_template("auth/request_account.html", form=form, errors=errors, sent=False), 422
    return render_template("auth/request_account.html", form=form, errors={}, sent=True)


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password with a mailed link: after a reset, or as an invited user's first."""
    db = get_session()
    link = accounts.link_for(db, token, ("reset", "invite"))
    if link is None:
        return render_template("auth/set_password.html", expired=True, errors={}, link=None), 410
    if request.method == "GET":
        return render_template("auth/set_password.html", expired=False, errors={}, link=link)
    with field_errors() as errors, writing(db):
        user = accounts.reset_password(db, token, request.form.get("password", ""), request.form.get("repeated", ""))
        session["language"] = user.language
    if errors:
        return render_template("auth/set_password.html", expired=False, errors=errors, link=link), 422
    logout_user()
    flash(_("Your password has been set. Log in with it."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/profile/mail")
@login_required
def mail_settings():
    """Turn off the e-mails the manuals do not require (kb/mail/preferences.py)."""
    db = get_session()
    wanted = set(request.form.getlist("mail"))
    with writing(db):
        preferences.set_off(db, current_user, set(preferences.OPTIONAL) - wanted)
    flash(_("Your e-mail settings have been saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens")
@login_required
def create_token():
    """A personal API token for other systems; its secret is shown once, here, and never again."""
    db = get_session()
    with field_errors() as errors, writing(db):
        _token, secret = tokens.create_token(db, current_user, request.form.get("name", ""))
    if errors:
        return profile_page(422, errors=errors, name=request.form.get("name", ""))
    return profile_page(new_token=secret)  # a reload shows the secret no more


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    db = get_session()
    with writing(db):
        revoked = tokens.revoke(db, current_user, token_id)
    if revoked:
        flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.profile"))
