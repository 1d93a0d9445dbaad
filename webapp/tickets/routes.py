"""Register, list and follow tickets; comments, attachments, paid-work answers and reopening."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from indexer.searching import DEFLECTION_MATCH
from kb import access, catalogue, dashboard
from kb import tickets as workflow
from kb.changelog import event_time
from kb.db import writing
from kb.models import OPEN_STATUSES, CannedAnswer, CatalogueKind, Organisation, Priority, ReplyMethod, Status, Ticket, WorkProposal
from kb.text import render_markdown

from ..attachments import attachment_store, download, held_files
from ..database import get_session
from ..validation import database_id, field_errors
from .fields import ticket_fields
from .view import COMMENTS_AND_THEIR_FILES, TABS, remember, reopen_days, ticket_or_404, ticket_page

bp = Blueprint("tickets", __name__, url_prefix="/tickets")

SORTS = {
    "newest": Ticket.created_at.desc(), "oldest": Ticket.created_at.asc(),
    "number": Ticket.number.desc(), "updated": Ticket.updated_at.desc(),
}


def _form_context(values: dict | None = None, errors: dict | None = None, held=()) -> dict:
    db = get_session()
    products = catalogue.entries(db, CatalogueKind.PRODUCT)
    children = {kind: {p.id: catalogue.entries(db, kind, p.id) for p in products}
                for kind in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE, CatalogueKind.VERSION)}
    return {
        "values": values or {}, "errors": errors or {}, "held": list(held),
        "products": products, "children": children,
        "ticket_types": catalogue.entries(db, CatalogueKind.TICKET_TYPE),
        "operating_systems": catalogue.entries(db, CatalogueKind.OPERATING_SYSTEM),
        "contacts": access.contacts(db, current_user), "end_customers": access.end_customers(current_user),
        "notices": dashboard.active_notices(db), "deflection_match": DEFLECTION_MATCH, "PRIORITIES": list(Priority), "REPLY_METHODS": list(ReplyMethod),
        "registered": request.args.get("registered", type=database_id),
    }


@bp.get("/new")
@login_required
def new():
    return render_template("tickets/new.html", **_form_context())


@bp.post("/new")
@login_required
def create():
    db = get_session()
    held, files = held_files(current_user)
    values = request.form.to_dict()
    with field_errors() as errors, writing(db):
        fields = ticket_fields(db, current_user)
        ticket = workflow.create_ticket(db, current_user, **fields)
        attachment_store().attach(db, ticket, current_user, files)
    if errors:
        return render_template("tickets/new.html", **_form_context(values, errors, held)), 422
    attachment_store().discard([h.id for h in held])
    flash(_("Ticket %(number)s has been registered. You will find it under My tickets.", number=ticket.number),
          "success")
    return redirect(url_for("tickets.new", registered=ticket.number))


@bp.get("/")
@login_required
def index():
    db = get_session()
    scope = request.args.get("scope", "mine")
    query = access.visible_tickets(current_user)
    if scope == "mine" and not current_user.is_staff:
        query = query.where((Ticket.registered_by_id == current_user.id) | (Ticket.contact_id == current_user.id))
    status = request.args.get("status", "")
    if status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status in Status._value2member_map_:
        query = query.where(Ticket.status == Status(status))
    product = request.args.get("product", type=database_id)
    if product:
        query = query.where(Ticket.product_id == product)
    sort = request.args.get("sort", "newest")
    query = query.order_by(SORTS.get(sort, SORTS["newest"])).limit(500)
    return render_template("tickets/index.html", tickets=list(db.scalars(query)), scope=scope, status=status,
                           product=product, sort=sort, products=catalogue.entries(db, CatalogueKind.PRODUCT))


@bp.get("/<int:number>")
@login_required
def show(number: int):
    ticket = ticket_or_404(number, COMMENTS_AND_THEIR_FILES)
    tab = request.args.get("tab", "ticket")
    if tab not in TABS or (tab == "solution" and not ticket.solution):
        tab = "ticket"
    remember(number)
    extra = {}
    chosen = request.args.get("answer", type=database_id)
    if chosen and current_user.is_staff:  # a canned answer inserted, to edit before sending
        found = get_session().get(CannedAnswer, chosen)
        text = found.body(ticket.language) if found else ""
        extra = {"values": {"body": text}} if tab == "comment" else {"support_values": {"solution": text}}
    return ticket_page(ticket, tab, **extra)


@bp.post("/<int:number>/comments")
@login_required
def comment(number: int):
    db = get_session()
    ticket = ticket_or_404(number)
    held, files = held_files(current_user)
    body = request.form.get("body", "")
    internal = current_user.is_staff and request.form.get("internal") == "1"
    with field_errors() as errors, writing(db):
        note = workflow.add_comment(db, ticket, current_user, body, internal=internal)
        attachment_store().attach(db, ticket, current_user, files, comment=note)
    if errors:
        return ticket_page(ticket, "comment", 422, values={"body": body}, errors=errors, held=held)
    attachment_store().discard([h.id for h in held])
    flash(_("Your comment has been saved."), "success")
    return redirect(url_for("tickets.show", number=number))


@bp.post("/<int:number>/reopen")
@login_required
def reopen(number: int):
    db = get_session()
    ticket = ticket_or_404(number)
    body = request.form.get("body", "")
    with field_errors() as errors, writing(db):
        workflow.reopen(db, ticket, current_user, body, reopen_days())
    if errors:
        return ticket_page(ticket, "solution", 422, reopen_values={"body": body}, errors=errors)
    flash(_("The ticket has been reopened."), "success")
    return redirect(url_for("tickets.show", number=number))


@bp.post("/<int:number>/work/<int:proposal_id>")
@login_required
def decide_work(number: int, proposal_id: int):
    db = get_session()
    ticket = ticket_or_404(number)
    proposal = db.scalar(select(WorkProposal).where(WorkProposal.id == proposal_id,
                                                    WorkProposal.ticket_id == ticket.id))
    if proposal is None:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("confirm", "decline"):
        abort(400)
    note = request.form.get("note", "")
    with field_errors() as errors, writing(db):
        workflow.decide_work(db, proposal, current_user, decision == "confirm", note)
    if errors:
        return ticket_page(ticket, "ticket", 422, work_values={"note": note, "id": proposal_id}, errors=errors)
    flash(_("Thank you: the work has been confirmed.") if decision == "confirm"
          else _("The proposed work has been declined."), "success")
    return redirect(url_for("tickets.show", number=number))


@bp.get("/<int:number>/attachments/<attachment_id>")
@login_required
def attachment(number: int, attachment_id: str):
    found = access.attachment_for(get_session(), current_user, number, attachment_id)
    if found is None:
        abort(404)
    return download(found)


@bp.get("/licences")
@login_required
def licences():
    """"Visa licensinfo": the organisation's licences (a partner's end customers' too), in a separate window."""
    organisations = access.licence_organisations(current_user)
    wanted = request.args.get("organisation", type=database_id)
    if wanted and current_user.is_staff:  # support: any organisation's, one click from its tickets
        organisations = [get_session().get(Organisation, wanted) or abort(404)]
    elif wanted:
        organisations = [o for o in organisations if o.id == wanted] or abort(404)
    return render_template("tickets/licences.html", organisations=organisations, today=event_time(get_session()))


@bp.post("/preview")
@login_required
def preview():
    """The description as it will be shown: Markdown rendered and sanitised."""
    return render_markdown(request.form.get("text", "")[:100_000])
