"""Grants: the customer answers, revokes and audits; support asks and reads within an active grant."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kb import access, catalogue, grants
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.models import CatalogueKind, Organisation, OrganisationKind, RemoteAccessGrant, Ticket, User, utcnow
from kb.text import render_markdown

from ..database import cached_catalogue, get_session
from ..guards import customer_admin_required, customer_required, staff_required
from ..i18n import get_locale, typed_time
from ..validation import database_id, field_errors

bp = Blueprint("grants", __name__, url_prefix="/grants")


@bp.app_template_global()
def waiting_grants() -> int:
    """The count beside "Neuvontaoikeudet" in the user menu: one query a request, however often a page asks."""
    if not current_user.is_authenticated or current_user.is_staff:
        return 0
    if "waiting_grants" not in g:
        g.waiting_grants = grants.waiting(get_session(), current_user)
    return g.waiting_grants


def _own(grant_id: int) -> RemoteAccessGrant:
    """A grant to the user's own organisation; 404 for any other."""
    grant = get_session().get(RemoteAccessGrant, grant_id)
    if grant is None or grant.organisation_id != current_user.organisation_id:
        abort(404)
    return grant


@bp.get("/")
@login_required
def index():
    if current_user.is_staff:
        return redirect(url_for("grants.support_list"))
    db = get_session()
    return render_template("grants/index.html", grants=grants.of_organisation(db, current_user.organisation),
                           now=utcnow())


@bp.get("/<int:grant_id>")
@customer_required
def show(grant_id: int):
    return render_template("grants/show.html", grant=_own(grant_id), now=utcnow())


@bp.post("/<int:grant_id>/decide")
@customer_required
def decide(grant_id: int):
    approve = request.form.get("decision") == "approve"
    return _change(grant_id, lambda db, grant: grants.decide(db, grant, current_user, approve),
                   _("Remote access approved.") if approve else _("Remote access declined."))


@bp.post("/<int:grant_id>/revoke")
@customer_required
def revoke(grant_id: int):
    return _change(grant_id, lambda db, grant: grants.revoke(db, grant, current_user),
                   _("Remote access revoked: it ends at once."))


def _change(grant_id: int, change, done: str):
    """A customer's change to one of their grants: made, or the grant's page again with why not."""
    db = get_session()
    grant = _own(grant_id)
    with field_errors() as errors, writing(db):
        change(db, grant)
    if errors:
        return render_template("grants/show.html", grant=grant, now=utcnow(), errors=errors,
                               page_url=url_for("grants.show", grant_id=grant_id)), 422
    flash(done, "success")
    return redirect(url_for("grants.show", grant_id=grant_id))


@bp.route("/settings", methods=["GET", "POST"])
@customer_admin_required
def settings():
    """"Palvelunhallinta > Yleiset asetukset > Neuvontaoikeudet voimassa enintään", and who may approve."""
    db = get_session()
    errors = {}
    users = access.contacts(db, current_user)
    if request.method == "POST":
        allowed = set(request.form.getlist("may_approve"))
        with field_errors() as errors, writing(db):
            grants.set_max_hours(db, current_user, request.form.get("grant_max_hours", ""))
            for user in users:
                grants.set_permission(db, current_user, user, str(user.id) in allowed)
        if not errors:
            flash(_("The settings have been saved."), "success")
            return redirect(url_for("grants.settings"))
    return render_template("grants/settings.html", users=users, errors=errors,
                           hours=request.form.get("grant_max_hours", current_user.organisation.grant_max_hours)), \
        422 if errors else 200


@bp.get("/audit")
@customer_admin_required
def audit():
    return render_template("grants/audit.html", entries=grants.audit_log(get_session(), current_user.organisation))


# -- support's side ---------------------------------------------------------------------------------

@bp.get("/support")
@staff_required
def support_list():
    db = get_session()
    items = list(db.scalars(select(RemoteAccessGrant).order_by(RemoteAccessGrant.id.desc()).limit(200)))
    return render_template("grants/support_list.html", grants=items, now=utcnow())


@bp.route("/support/new", methods=["GET", "POST"])
@staff_required
def support_new():
    db = get_session()
    organisations = list(db.scalars(select(Organisation).where(
        Organisation.kind != OrganisationKind.VENDOR).order_by(Organisation.name)))
    form, errors = request.form, {}
    if request.method == "POST":
        organisation = db.get(Organisation, form.get("organisation", type=database_id) or 0)
        number = form.get("ticket", type=database_id)
        ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number else None
        with field_errors() as errors:
            if number and ticket is None:
                raise ValidationError({"ticket": N_("No ticket has this number.")})
            with writing(db):
                grant = grants.request_grant(db, current_user, organisation, reason=form.get("reason", ""),
                                             areas=form.getlist("areas"),
                                             starts_at=typed_time(form.get("starts_at"), "starts_at"),
                                             hours=form.get("hours", ""), ticket=ticket)
        if not errors:
            flash(_("The request has been sent to the customer for approval."), "success")
            return redirect(url_for("grants.support_show", grant_id=grant.id))
    return render_template("grants/support_new.html", organisations=organisations, form=form, errors=errors,
                           products=catalogue.entries(db, CatalogueKind.PRODUCT)), 422 if errors else 200


@bp.get("/support/<int:grant_id>")
@staff_required
def support_show(grant_id: int):
    grant = get_session().get(RemoteAccessGrant, grant_id) or abort(404)
    return render_template("grants/support_show.html", grant=grant, now=utcnow())


def _use(grant_id: int, what: str, area: str | None = None) -> RemoteAccessGrant:
    """The grant if it is active now (and covers the area), with the use written to the audit log."""
    db = get_session()
    try:
        with writing(db):
            return grants.use(db, grant_id, current_user, what, area)
    except grants.GrantRefused:
        abort(403)


@bp.get("/support/<int:grant_id>/tickets")
@staff_required
def as_customer_tickets(grant_id: int):
    grant = _use(grant_id, "tickets")
    return render_template("grants/as_customer.html", grant=grant, part="tickets",
                           tickets=grants.visible_tickets(get_session(), grant))


@bp.get("/support/<int:grant_id>/tickets/<int:number>")
@staff_required
def as_customer_ticket(grant_id: int, number: int):
    db = get_session()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    granted = db.get(RemoteAccessGrant, grant_id)
    if ticket is None or granted is None or granted.organisation_id not in (ticket.organisation_id,
                                                                             ticket.end_customer_id):
        abort(403)  # not the organisation's ticket: refused before it counts as a use
    grant = _use(grant_id, f"ticket {number}", ticket.product.code if ticket.product else "")
    return render_template("grants/as_customer.html", grant=grant, part="ticket", ticket=ticket,
                           comments=access.comments_for(None, ticket), events=access.events_for(None, ticket),
                           attachments=access.attachments_for(None, ticket),
                           render_markdown=render_markdown)


@bp.get("/support/<int:grant_id>/licences")
@staff_required
def as_customer_licences(grant_id: int):
    grant = _use(grant_id, "licences")
    licences = [lic for lic in grant.organisation.licences if lic.product.code in grant.area_codes]
    return render_template("grants/as_customer.html", grant=grant, part="licences", licences=licences)


@bp.get("/support/<int:grant_id>/users")
@staff_required
def as_customer_users(grant_id: int):
    grant = _use(grant_id, "users")
    users = list(get_session().scalars(select(User).where(User.organisation_id == grant.organisation_id)
                                       .order_by(User.name)))
    return render_template("grants/as_customer.html", grant=grant, part="users", users=users)


@bp.app_template_global()
def product_label(code: str) -> str:
    """A product's name in the user's language."""
    return cached_catalogue().labels(get_locale())["product"].get(code, code)
