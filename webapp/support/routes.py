"""Support's console: thin views over kb.tickets, kb.redaction, kb.notices and kb.mail.delivery."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from kb import canned, catalogue, notices, redaction, service_levels
from kb import tickets as workflow
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.mail import delivery
from kb.config import LANGUAGES
from kb.models import (OPEN_STATUSES, CannedAnswer, CatalogueKind, DisruptionNotice, Organisation, Priority, Status, Ticket, User,
                       utcnow)

from ..database import edited_or_404, get_session
from ..guards import admin_required, staff_required
from ..i18n import typed_time
from ..redirects import safe_next
from ..tickets.view import ticket_or_404, ticket_page
from ..validation import database_id, field_errors

bp = Blueprint("support", __name__, url_prefix="/support")

PRIORITY_RANK = case({Priority.CRITICAL: 3, Priority.HIGH: 2, Priority.NORMAL: 1, Priority.LOW: 0},
                     value=Ticket.priority, else_=1)


@bp.get("/")
@staff_required
def queue():
    """Urgent first, then tickets the customer has answered, then by priority, then the oldest."""
    db = get_session()
    args = request.args
    query = select(Ticket)
    status = args.get("status", "open")
    if status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status in Status._value2member_map_:
        query = query.where(Ticket.status == Status(status))
    if args.get("product", type=database_id):
        query = query.where(Ticket.product_id == args.get("product", type=database_id))
    if args.get("organisation", type=database_id):
        org = args.get("organisation", type=database_id)
        query = query.where((Ticket.organisation_id == org) | (Ticket.end_customer_id == org))
    if args.get("language") in LANGUAGES:
        query = query.where(Ticket.language == args["language"])
    assignee = args.get("assignee") or ("me" if args.get("mine") == "1" else "")
    if assignee == "me":
        query = query.where(Ticket.assigned_to_id == current_user.id)
    elif assignee == "nobody":
        query = query.where(Ticket.assigned_to_id.is_(None))
    elif args.get("assignee", type=database_id):
        query = query.where(Ticket.assigned_to_id == args.get("assignee", type=database_id))
    # Urgent first, then those the customer answered (support's turn again), then by priority, oldest first.
    query = query.order_by(Ticket.urgent.desc(), Ticket.customer_replied.desc(), PRIORITY_RANK.desc(),
                           Ticket.created_at.asc()).limit(500)
    organisations = list(db.scalars(select(Organisation).order_by(Organisation.name)))
    targets, now = current_app.extensions["kb_service_levels"], utcnow()
    tickets = list(db.scalars(query))
    if args.get("sort") == "due":
        tickets = service_levels.due_first(tickets, targets, now)
    return render_template("support/queue.html", tickets=tickets, status=status, args=args,
                           products=catalogue.entries(db, CatalogueKind.PRODUCT), organisations=organisations,
                           assignee=assignee, staff=workflow.staff(db), now=now,
                           due={t.id: service_levels.due(t, targets, now) for t in tickets})


def _act(number: int, action, success: str, tab: str = "ticket", **values):
    """Run one workflow step on a ticket; a refused step shows the ticket again with the reason and the input."""
    db = get_session()
    ticket = ticket_or_404(number)
    with field_errors() as errors, writing(db):
        action(db, ticket)
    if errors:
        return ticket_page(ticket, tab, 422, errors=errors, support_values=values)
    flash(success, "success")
    return redirect(safe_next(request.form.get("next"), url_for("tickets.show", number=number)))


@bp.post("/tickets/<int:number>/assign")
@staff_required
def assign(number: int):
    """To me (the default), to a named colleague (`to` = their id), or back to the queue (`to` = nobody)."""
    to = request.form.get("to") or "me"
    colleague = request.form.get("to", type=database_id)
    if to == "nobody":
        assignee, done = None, _("The ticket has been handed back to the queue.")
    elif to == "me" or colleague == current_user.id:
        assignee, done = current_user, _("The ticket is now yours.")
    else:  # a colleague's id; anything else names nobody who can take it
        assignee = get_session().get(User, colleague) if colleague else None
        done = _("The ticket has been assigned to %(name)s.", name=assignee.name) if assignee else ""

    def assign_to(db, ticket):
        if assignee is None and to != "nobody":
            raise ValidationError({"assigned_to": N_("Only support staff can handle tickets.")})
        workflow.assign(db, ticket, current_user, assignee)

    return _act(number, assign_to, done)


@bp.post("/tickets/<int:number>/correct")
@staff_required
def correct(number: int):
    """Classify a ticket that came by e-mail, or correct its product, lists, priority and contact."""
    form = request.form
    # ids from the lists; anything else ("", a code, a number no database holds) is looked up as a code
    fields = {name: form.get(name, type=database_id) or form.get(name) or None for name in workflow.CORRECTED}
    contact = get_session().get(User, form.get("contact", type=database_id) or 0)
    typed = {name: form.get(name, "") for name in (*workflow.CORRECTED, "priority", "contact")}  # kept if refused
    return _act(number, lambda db, t: workflow.correct(db, t, current_user, priority=form.get("priority") or None,
                                                       contact=contact, **fields),
                _("The ticket has been corrected."), **typed)


@bp.post("/tickets/<int:number>/merge")
@staff_required
def merge(number: int):
    """Merge this ticket, a duplicate, into the ticket numbered `into`."""
    into = request.form.get("into", type=database_id)
    target = get_session().scalar(select(Ticket).where(Ticket.number == into)) if into else None

    def merge_into(db, ticket):
        if target is None:
            raise ValidationError({"merge": N_("No ticket has this number.")})
        workflow.merge(db, ticket, target, current_user)

    return _act(number, merge_into, _("The ticket has been merged into ticket %(number)s.", number=into),
                into=request.form.get("into", ""))


@bp.post("/tickets/<int:number>/status")
@staff_required
def status(number: int):
    value = request.form.get("status", "")
    if value not in Status._value2member_map_:
        abort(400)
    return _act(number, lambda db, t: workflow.change_status(db, t, current_user, Status(value)),
                _("The status has been changed."))


@bp.post("/tickets/<int:number>/solution")
@staff_required
def solution(number: int):
    text = request.form.get("solution", "")
    return _act(number, lambda db, t: workflow.propose_solution(db, t, current_user, text),
                _("The solution has been proposed to the customer."), solution=text)


@bp.post("/tickets/<int:number>/work")
@staff_required
def work(number: int):
    description, hours = request.form.get("description", ""), request.form.get("estimate_hours", "")
    return _act(number, lambda db, t: workflow.propose_work(db, t, current_user, description, hours),
                _("The billable work has been proposed; it waits for the customer's confirmation."),
                description=description, estimate_hours=hours)


@bp.route("/tickets/<int:number>/publish", methods=["GET", "POST"])
@staff_required
def publish(number: int):
    """"Markera som generell": edit the texts to publish, with personal data marked for removal."""
    db = get_session()
    ticket = ticket_or_404(number)
    title = request.form.get("title", ticket.public_title)
    problem = request.form.get("problem", ticket.published_problem or ticket.description or "")
    solution_text = request.form.get("solution", ticket.published_solution or ticket.solution or "")
    not_personal = set(request.form.getlist("not_personal"))
    errors = {}
    if request.method == "POST" and "check" not in request.form:
        with field_errors() as errors, writing(db):
            workflow.set_general(db, ticket, current_user, True, problem, solution_text, title,
                                 not_personal=not_personal)
        if not errors:
            flash(_("Published in the experience database."), "success")
            return redirect(url_for("tickets.show", number=number))
    findings = {"title": redaction.find(title, ticket), "problem": redaction.find(problem, ticket),
                "solution": redaction.find(solution_text, ticket)}
    return render_template("support/publish.html", ticket=ticket, title=title, problem=problem, solution=solution_text,
                           findings=findings, errors=errors, marked=_marked, not_personal=not_personal), \
        422 if errors else 200


def _marked(text: str, findings) -> list[tuple[str, str | None]]:
    """The text cut into (piece, kind of personal data or None), for highlighting."""
    pieces, at = [], 0
    for f in findings:
        pieces += [(text[at:f.start], None), (text[f.start:f.end], f.kind)]
        at = f.end
    pieces.append((text[at:], None))
    return [p for p in pieces if p[0]]


@bp.post("/tickets/<int:number>/unpublish")
@staff_required
def unpublish(number: int):
    return _act(number, lambda db, t: workflow.set_general(db, t, current_user, False),
                _("Removed from the experience database."))


# -- disruption notices -----------------------------------------------------------------------------

@bp.get("/notices")
@staff_required
def notice_list():
    return render_template("support/notices.html", notices=notices.all_notices(get_session()), now=utcnow())


@bp.route("/notices/new", methods=["GET", "POST"], defaults={"notice_id": None})
@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@staff_required
def notice_edit(notice_id: int | None):
    db = get_session()
    notice = edited_or_404(DisruptionNotice, notice_id)
    form, errors = request.form, {}
    if request.method == "POST":
        # The form shows a time's message under the end time only, so a mistyped start is reported there.
        with field_errors() as errors, writing(db):
            notices.save(db, current_user, notice, title_sv=form.get("title_sv", ""),
                         title_fi=form.get("title_fi", ""), body_sv=form.get("body_sv", ""),
                         body_fi=form.get("body_fi", ""), product_id=form.get("product", type=database_id),
                         starts_at=typed_time(form.get("starts_at"), "ends_at"),
                         ends_at=typed_time(form.get("ends_at"), "ends_at"))
        if not errors:
            flash(_("The disruption notice has been saved."), "success")
            return redirect(url_for("support.notice_list"))
    return render_template("support/notice_form.html", notice=notice, form=form, errors=errors,
                           products=catalogue.entries(db, CatalogueKind.PRODUCT)), 422 if errors else 200


@bp.post("/notices/<int:notice_id>/end")
@staff_required
def notice_end(notice_id: int):
    db = get_session()
    notice = db.get(DisruptionNotice, notice_id) or abort(404)
    with writing(db):
        notices.end(db, current_user, notice)
    flash(_("The disruption notice has been ended."), "success")
    return redirect(url_for("support.notice_list"))


# -- the outbox's dead letters (administrators) -------------------------------------------------------

@bp.get("/outbox")
@admin_required
def outbox():
    return render_template("support/outbox.html", items=delivery.dead_letters(current_app.extensions["kb_database"]))


@bp.post("/outbox/<int:item_id>/retry")
@admin_required
def outbox_retry(item_id: int):
    if delivery.retry(current_app.extensions["kb_database"], item_id):
        flash(_("The message will be sent again."), "success")
    return redirect(url_for("support.outbox"))


@bp.get("/answers")
@staff_required
def answers():
    """Canned answers: the list, and a form for a new one."""
    return render_template("support/answers.html", answers=canned.answers(get_session()), answer=None, form={},
                           errors={})


@bp.route("/answers/new", methods=["POST"], defaults={"answer_id": None})
@bp.route("/answers/<int:answer_id>", methods=["GET", "POST"])
@staff_required
def answer(answer_id: int | None):
    db = get_session()
    found = db.get(CannedAnswer, answer_id) if answer_id else None
    if answer_id and found is None:
        abort(404)
    form, errors = request.form, {}
    if request.method == "POST":
        with field_errors() as errors, writing(db):
            if form.get("delete") and found is not None:
                canned.delete(db, current_user, found)
            else:
                canned.save(db, current_user, found, form.get("title", ""), form.get("body_sv", ""),
                            form.get("body_fi", ""))
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("support.answers"))
    return render_template("support/answers.html", answers=canned.answers(db), answer=found, form=form,
                           errors=errors), 422 if errors else 200
