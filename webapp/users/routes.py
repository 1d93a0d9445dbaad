from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kb import organisation_users as members
from kb.db import writing
from kb.models import Organisation, User

from ..database import get_session
from ..guards import role_required
from ..validation import database_id, field_errors, flash_errors

bp = Blueprint("users", __name__, url_prefix="/users")
admin_of_users = role_required(members.is_admin)


def _organisation(org_id: int | None) -> Organisation:
    """One of the organisations the admin manages (their own by default); any other: 404."""
    db = get_session()
    organisation = db.get(Organisation, org_id) if org_id else current_user.organisation
    if not members.manages(db, current_user, organisation):
        abort(404)
    return organisation


def _page(organisation: Organisation, status: int = 200, form=None, errors=None):
    db = get_session()
    return render_template("users/index.html", organisation=organisation,
                           organisations=members.managed_organisations(db, current_user),
                           users=members.users_of(db, current_user, organisation),
                           roles=members.roles_in(organisation), form=form or {}, errors=errors or {}), status


@bp.get("/")
@admin_of_users
def index():
    return _page(_organisation(request.args.get("organisation", type=database_id)))


@bp.post("/invite")
@admin_of_users
def invite():
    db, form = get_session(), request.form
    organisation = _organisation(form.get("organisation", type=database_id))
    with field_errors() as errors, writing(db):
        user = members.invite(db, current_user, organisation, name=form.get("name", ""), email=form.get("email", ""),
                              username=form.get("username", ""), phone=form.get("phone", ""),
                              language=form.get("language", ""), role=form.get("role", ""),
                              may_approve=form.get("may_approve") == "1")
    if errors:
        return _page(organisation, 422, form, errors)
    flash(_("%(name)s has been invited: an e-mail with a link to choose a password is on its way to %(email)s.",
            name=user.name, email=user.email), "success")
    return redirect(url_for("users.index", organisation=organisation.id if organisation != current_user.organisation
                            else None))


@bp.post("/<int:user_id>/<action>")
@admin_of_users
def change(user_id: int, action: str):
    db = get_session()
    user = db.get(User, user_id) if user_id < 2**31 else None
    if user is None or not members.manages(db, current_user, user.organisation):
        abort(404)
    actions = {
        "deactivate": lambda: members.set_active(db, current_user, user, False),
        "reactivate": lambda: members.set_active(db, current_user, user, True),
        "role": lambda: members.set_role(db, current_user, user, request.form.get("role", "")),
        "approval": lambda: members.set_approval(db, current_user, user, request.form.get("may_approve") == "1"),
        "invite": lambda: members.resend_invitation(db, current_user, user),
    }
    if action not in actions:
        abort(404)
    with field_errors() as errors, writing(db):
        actions[action]()
    if errors:
        flash_errors(errors)
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("users.index", organisation=user.organisation_id
                            if user.organisation_id != current_user.organisation_id else None))


@bp.get("/audit")
@admin_of_users
def audit():
    db = get_session()
    organisations = members.managed_organisations(db, current_user)
    return render_template("users/audit.html", entries=members.audit_log(db, organisations),
                           several=len(organisations) > 1)
