"""An organisation's users through the API, for a customer admin's scripts (and the vendor's
administrators'): list, invite, deactivate or reactivate, change the role and the approval right. The same
rules as the users page (kb/organisation_users.py); anyone else gets 404."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from kb import organisation_users as members
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.models import Organisation, User

from ..database import get_session
from ..validation import field_errors, invalid_response
from .routes import bp
from .tickets import payload


def _admin() -> None:
    if not members.is_admin(current_user):
        abort(404)


def _shown(user: User) -> dict:
    return {"id": user.id, "username": user.username, "name": user.name, "email": user.email, "phone": user.phone,
            "organisation": user.organisation.key, "role": user.role.value, "language": user.language,
            "may_approve_grants": user.may_approve_grants, "active": user.active,
            "two_factor": bool(user.totp_secret)}


def _organisation(key: str | None) -> Organisation:
    db = get_session()
    managed = members.managed_organisations(db, current_user)
    if key is None and current_user.organisation in managed:
        return current_user.organisation
    found = next((o for o in managed if o.key == key), None)
    if found is None:
        abort(404)
    return found


@bp.get("/users")
def users():
    _admin()
    organisation = _organisation(request.args.get("organisation"))
    return jsonify({"results": [_shown(u) for u in members.users_of(get_session(), current_user, organisation)]})


@bp.post("/users")
def invite_user():
    """Invite a user: they are mailed a link to choose their password."""
    _admin()
    data, _files = payload()
    organisation = _organisation(data.get("organisation") if isinstance(data.get("organisation"), str) else None)
    db = get_session()
    with field_errors() as errors, writing(db):
        if any(not isinstance(data.get(k, ""), str) for k in ("name", "email", "username", "phone", "language", "role")):
            raise ValidationError({"user": N_("Give each field as text (or null).")})
        user = members.invite(db, current_user, organisation, name=data.get("name", ""), email=data.get("email", ""),
                              username=data.get("username", ""), phone=data.get("phone", ""),
                              language=data.get("language", ""), role=data.get("role", ""),
                              may_approve=data.get("may_approve_grants") is True)
    if errors:
        return invalid_response(errors)
    response = jsonify(_shown(user))
    response.status_code = 201
    return response


@bp.patch("/users/<int:user_id>")
def change_user(user_id: int):
    """Fields given change: active (true/false), role, may_approve_grants."""
    _admin()
    db = get_session()
    user = db.get(User, user_id)
    if user is None or not members.manages(db, current_user, user.organisation):
        abort(404)
    data, _files = payload()
    with field_errors() as errors, writing(db):
        if "active" in data:
            if not isinstance(data["active"], bool):
                raise ValidationError({"active": N_("Choose a value from the list.")})
            members.set_active(db, current_user, user, data["active"])
        if "role" in data:
            members.set_role(db, current_user, user, data["role"] if isinstance(data["role"], str) else "")
        if "may_approve_grants" in data:
            if not isinstance(data["may_approve_grants"], bool):
                raise ValidationError({"may_approve_grants": N_("Choose a value from the list.")})
            members.set_approval(db, current_user, user, data["may_approve_grants"])
    if errors:
        return invalid_response(errors)
    return jsonify(_shown(user))
