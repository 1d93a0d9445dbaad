"""What the user typed, kept when a form cannot be taken: its CSRF token had expired, or the session had
ended. Nothing is lost: the text is shown again with a button that sends it anew (with a fresh token),
and the files sent with it are held as a corrected form holds them (`AttachmentStore.stage`). When the
session had ended, the login page carries it all, and after logging in the user is back at it.
"""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from kb.attachments import check

from .attachments import attachment_store, uploads
from .redirects import safe_next

# The forms whose text is kept: what customers write at length. Not the staff's actions (publishing
# with its confirmations, statuses): a forged cross-site post must not become a "Send again" button
# that carries choices the page does not show.
KEPT_ENDPOINTS = frozenset({"tickets.create", "tickets.comment", "tickets.reopen"})
PREFIX = "kept-"  # the login form carries the kept fields under this prefix
ACTION = "kept_action"
SKIPPED = {"csrf_token", ACTION}
# What the resend page shows (everything else goes along unseen): the texts of the ticket, comment,
# solution and publish forms.
SHOWN = ("subject", "description", "application", "error_message", "affected_usernames", "company_numbers",
         "report_name", "body", "solution", "title", "problem")


def _fields(form, prefix: str = "") -> list[tuple[str, str]]:
    return [(name[len(prefix):], value) for name in form for value in form.getlist(name)
            if name.startswith(prefix) and name[len(prefix):] not in SKIPPED and not name.startswith("unstage")]


def _stage_files(user) -> list[tuple[str, str]]:
    """The files sent with the form, held for the user; a file that can never be attached is not held
    (the form's own check says why when it is sent again)."""
    store = attachment_store()
    return [("staged", store.stage(user, upload).id) for upload in uploads() if not check([upload])]


def expired_form():
    """The answer to a form sent with an expired token or after the session ended, or None when there
    is nothing to keep (then the plain error page)."""
    if request.method != "POST" or not request.form or request.endpoint not in KEPT_ENDPOINTS:
        return None
    fields = _fields(request.form)
    if current_user.is_authenticated:
        fields += _stage_files(current_user)
        return resend_page(request.path, fields)
    store = attachment_store()
    fields += [("staged", store.stage_for_later(upload).id) for upload in uploads() if not check([upload])]
    from .auth.forms import LoginForm

    form = LoginForm(next="")
    return render_template("auth/login.html", form=form, kept=fields, kept_action=request.path,
                           notice=_("You had been logged out, so nothing was sent. Log in again: what you wrote "
                                    "is kept and comes back to you.")), 401


def carried() -> list[tuple[str, str]]:
    """The kept fields a login form carries, to carry them again when the login must be tried again."""
    return _fields(request.form, PREFIX)


def after_login(user):
    """After a login that carried a kept form: the page that sends it again, or None."""
    action = safe_next(request.form.get(ACTION), "")
    if not action or _endpoint(action) not in KEPT_ENDPOINTS:
        return None
    fields = _fields(request.form, PREFIX)
    store = attachment_store()
    store.claim(user, [value for name, value in fields if name == "staged"])
    # Logging in cleared the session: the token this request made before it belongs to the old one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    return resend_page(action, fields)


def _endpoint(path: str) -> str | None:
    try:
        return current_app.url_map.bind("").match(path, method="POST")[0]
    except Exception:  # noqa: BLE001  (no such page: nothing to send it to)
        return None


def resend_page(action: str, fields: list[tuple[str, str]]):
    store = attachment_store()
    files = [staged for staged, _upload in store.staged(current_user, [v for n, v in fields if n == "staged"])]
    shown = [(name, value) for name, value in fields if name in SHOWN and value.strip()]
    return render_template("kept.html", action=action, fields=fields, shown=shown, files=files), 400
