"""The tickets API: the same rules as the pages, JSON in and out."""
from __future__ import annotations

import json

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kb import access
from kb import tickets as workflow
from kb.attachments import Upload
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.models import Organisation, Priority, ReplyMethod, Status, Ticket, User

from ..attachments import attachment_store, download, uploads
from ..support.find import desk_request, hits_and_tickets
from ..database import get_session
from ..tickets.view import ticket_or_404
from ..validation import field_errors, invalid_response
from . import serialize
from .routes import bp, error

TEXT = ("subject", "description", "application", "error_message", "affected_usernames", "company_numbers",
        "report_name", "language")
CATALOGUE = ("product", "category", "routine", "ticket_type", "operating_system", "version")


def payload() -> tuple[dict, list[Upload]]:
    """The request's fields and files: JSON, or a multipart form with files named `attachments`."""
    if request.is_json:
        try:
            data = json.loads(request.get_data(cache=True) or b"null")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past Python's recursion limit
            data = None
        if not isinstance(data, dict):
            abort(error(400, _("The request body must be a JSON object.")))
        return data, []
    return request.form.to_dict(), uploads()


def _ticket_fields(db, data: dict) -> dict:
    fields = {}
    for name in TEXT:
        value = data.get(name)
        fields[name] = value.strip() if isinstance(value, str) and value.strip() else None
    fields["subject"], fields["description"] = fields["subject"] or "", fields["description"] or ""
    for name in CATALOGUE:
        value = data.get(name)
        fields[name] = str(value) if value not in (None, "") else None
    if fields["product"] is None:
        fields["product"] = ""
    errors = {}
    if data.get("contact"):
        fields["contact"] = db.scalar(select(User).where(User.username == str(data["contact"])))
        if fields["contact"] is None:
            errors["contact"] = "Choose a contact person of your organisation."
    if data.get("end_customer"):
        fields["end_customer"] = db.scalar(select(Organisation).where(Organisation.key == str(data["end_customer"])))
        if fields["end_customer"] is None:
            errors["end_customer"] = "Choose one of your end customers."
    for name, kind, default in (("priority", Priority, Priority.NORMAL), ("reply_method", ReplyMethod,
                                                                           ReplyMethod.EMAIL)):
        value = data.get(name) or default.value
        if not isinstance(value, str) or value not in kind._value2member_map_:
            errors[name] = "Choose a value from the list."
        else:
            fields[name] = kind(value)
    fields["urgent"] = data.get("urgent") in (True, "true", "1", 1)
    if errors:
        raise ValidationError(errors)
    return fields


def _detail(ticket: Ticket) -> dict:
    return serialize.ticket_detail(ticket, current_user, access.comments_for(current_user, ticket),
                                   access.attachments_for(current_user, ticket))


@bp.post("/tickets")
def create_ticket():
    db = get_session()
    data, files = payload()
    with field_errors() as errors, writing(db):
        ticket = workflow.create_ticket(db, current_user, channel="api", **_ticket_fields(db, data))
        attachment_store().attach(db, ticket, current_user, files)
    if errors:
        return invalid_response(errors)
    response = jsonify(_detail(ticket))
    response.status_code = 201
    response.headers["Location"] = url_for("api.ticket", number=ticket.number, _external=True)
    return response


@bp.get("/tickets")
def tickets():
    scope = request.args.get("scope", "mine")
    if scope not in ("mine", "organisation"):
        return error(400, _("scope must be mine or organisation."))
    query = access.visible_tickets(current_user)
    if scope == "mine":
        query = query.where((Ticket.registered_by_id == current_user.id) | (Ticket.contact_id == current_user.id))
    found = get_session().scalars(query.order_by(Ticket.created_at.desc()).limit(500))
    return jsonify({"results": [serialize.ticket_summary(t) for t in found]})


@bp.get("/tickets/find")
def find():
    """Support: every ticket, open or closed, published or not, found by its words (comments and internal
    notes included) and filtered as on the page "Find any ticket". 404 for customers."""
    if not current_user.is_staff:
        abort(404)
    search, errors = desk_request(request.args)
    if errors:
        return invalid_response(errors)
    result, found = hits_and_tickets(search)
    return jsonify({"total": result.total, "page": result.page, "pages": result.pages,
                    "results": [{**serialize.ticket_summary(found[h.number]), "snippet": h.snippet, "score": h.score}
                                for h in result.hits if h.number in found]})


@bp.get("/tickets/<int:number>")
def ticket(number: int):
    return jsonify(_detail(ticket_or_404(number)))


@bp.post("/tickets/<int:number>/comments")
def comment(number: int):
    db = get_session()
    item = ticket_or_404(number)
    data, files = payload()
    body = data.get("body") if isinstance(data.get("body"), str) else ""
    internal = current_user.is_staff and data.get("internal") in (True, "true", "1")
    with field_errors() as errors, writing(db):
        note = workflow.add_comment(db, item, current_user, body, internal=internal)
        saved = attachment_store().attach(db, item, current_user, files, comment=note)
    if errors:
        return invalid_response(errors)
    response = jsonify(serialize.comment(note, number, saved))
    response.status_code = 201
    return response


@bp.get("/tickets/<int:number>/events")
def events(number: int):
    item = ticket_or_404(number)
    return jsonify({"results": [serialize.event(e) for e in access.events_for(current_user, item)]})


@bp.get("/tickets/<int:number>/attachments/<attachment_id>")
def attachment(number: int, attachment_id: str):
    found = access.attachment_for(get_session(), current_user, number, attachment_id)
    if found is None:
        abort(404)
    return download(found)


def _username(db, value, field: str) -> User | None:
    """A user named in a JSON body by username (None for null or "")."""
    if value in (None, ""):
        return None
    found = db.scalar(select(User).where(User.username == str(value))) if isinstance(value, str) else None
    if found is None:
        raise ValidationError({field: N_("No user has this username.")})
    return found


@bp.patch("/tickets/<int:number>")
def update(number: int):
    """Support's changes to a ticket, as on its page: assignment, status, classification, priority, contact.
    Fields left out stay as they are."""
    if not current_user.is_staff:
        abort(404)
    db = get_session()
    item = ticket_or_404(number)
    data, _files = payload()
    with field_errors() as errors, writing(db):
        if any(not isinstance(data[k], str | type(None)) for k in (*CATALOGUE, "assigned_to", "contact", "status",
                                                                    "priority") if k in data):
            raise ValidationError({"ticket": N_("Give each field as text (or null).")})
        if "assigned_to" in data:
            workflow.assign(db, item, current_user, _username(db, data["assigned_to"], "assigned_to"))
        if any(k in data for k in (*CATALOGUE, "priority", "contact")):
            fields = {k: getattr(item, k) for k in workflow.CORRECTED}
            fields.update({k: data[k] or None for k in CATALOGUE if k in data})
            contact = _username(db, data["contact"], "contact") if data.get("contact") else None
            workflow.correct(db, item, current_user, priority=data.get("priority"), contact=contact, **fields)
        if "status" in data:
            if data["status"] not in Status._value2member_map_:
                raise ValidationError({"status": N_("Choose a value from the list.")})
            workflow.change_status(db, item, current_user, Status(data["status"]))
    if errors:
        return invalid_response(errors)
    return jsonify(_detail(item))


@bp.post("/tickets/<int:number>/merge")
def merge(number: int):
    """Support merges this ticket, a duplicate, into the ticket `into` (as on the page)."""
    if not current_user.is_staff:
        abort(404)
    db = get_session()
    item = ticket_or_404(number)
    data, _files = payload()
    into = data.get("into")
    with field_errors() as errors, writing(db):
        target = db.scalar(select(Ticket).where(Ticket.number == into)) \
            if isinstance(into, int) and not isinstance(into, bool) and 0 < into < 2**31 else None
        if target is None:
            raise ValidationError({"merge": N_("No ticket has this number.")})
        workflow.merge(db, item, target, current_user)
    if errors:
        return invalid_response(errors)
    return jsonify(_detail(target))
