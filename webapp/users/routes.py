from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kb import account_requests
from kb import organisation_users as members
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.models import AccountRequest, Organisation, User

from ..database import get_session
from ..guards import role_required
from ..validation import database_id, field_errors, flash_errors

bp = Blueprint("users", __name__, url_prefix="/users")
admin_of_users = role_required(members.is_admin)


def _organisation(org_id: int | None) -> Organisation:
    """One of the organisations the admin manages (their own by default); any other: 404."""
    db = get_session()
    if org_id:
        organisation = db.get(Organisation, org_id)
    else:  # their own; the vendor's administrators start with the first organisation they manage
        managed = members.managed_organisations(db, current_user)
        organisation = current_user.organisation if current_user.organisation in managed else next(iter(managed), None)
    if not members.manages(db, current_user, organisation):
        abort(404)
    return organisation


def _page(organisation: Organisation, status: int = 200, form=None, errors=None):
    db = get_session()
    return render_template("users/index.html", organisation=organisation,
                           requests=account_requests.waiting(db, current_user),
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


@bp.post("/two-factor")
@admin_of_users
def two_factor():
    """Require the organisation's users to log in with a code as well."""
    db = get_session()
    organisation = _organisation(request.form.get("organisation", type=database_id))
    with writing(db):
        members.set_two_factor(db, current_user, organisation, request.form.get("required") == "1")
    flash(_("Saved."), "success")
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


@bp.get("/requests")
@admin_of_users
def requests():
    """Requests for a user that the admin may answer (the vendor's administrators: every one)."""
    db = get_session()
    return render_template("users/requests.html", requests=account_requests.waiting(db, current_user),
                           organisations=members.managed_organisations(db, current_user))


@bp.post("/requests/<int:request_id>/<action>")
@admin_of_users
def answer_request(request_id: int, action: str):
    db = get_session()
    item = db.get(AccountRequest, request_id) if request_id < 2**31 else None
    if item is None or item not in account_requests.waiting(db, current_user) or action not in ("invite", "decline"):
        abort(404)
    organisation = None
    if request.form.get("organisation", type=database_id):
        organisation = db.get(Organisation, request.form.get("organisation", type=database_id))
        if not members.manages(db, current_user, organisation):
            abort(404)
    with field_errors() as errors, writing(db):
        if action == "invite":
            if organisation is None and item.organisation is None:
                raise ValidationError({"organisation": N_("Choose the organisation.")})
            account_requests.invite(db, current_user, item, organisation)
        else:
            account_requests.decline(db, current_user, item)
    if errors:
        flash_errors(errors)
    else:
        flash(_("%(name)s has been invited.", name=item.name) if action == "invite"
              else _("The request has been declined; %(name)s is told by e-mail.", name=item.name), "success")
    return redirect(url_for("users.requests"))
