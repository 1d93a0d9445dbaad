"""Thin views over kb.admin; administrators only (404 for anyone else)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kb import admin, organisation_users, throttle
from kb.db import writing
from kb.errors import ValidationError
from kb.models import CatalogueEntry, CatalogueKind, Licence, Organisation, OrganisationKind, Role, User
from kb.users import create_user

from ..database import edited_or_404, get_session
from ..guards import admin_required
from ..validation import database_id, field_errors, flash_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _organisations():
    return list(get_session().scalars(select(Organisation).order_by(Organisation.name)))


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")


@bp.get("/organisations")
@admin_required
def organisations():
    return render_template("admin/organisations.html", organisations=_organisations())


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@admin_required
def organisation(org_id: int | None):
    db = get_session()
    item = edited_or_404(Organisation, org_id)
    form, errors = request.form, {}
    if request.method == "POST":
        with field_errors() as errors, writing(db):
            admin.save_organisation(db, current_user, item, key=form.get("key", ""), name=form.get("name", ""),
                                    kind=form.get("kind", ""), company_number=form.get("company_number", ""),
                                    language=form.get("language", "sv"), partner_key=form.get("partner", ""),
                                    partner_manages_users=form.get("partner_manages_users") == "1")
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.organisations"))
    partners = [o for o in _organisations() if o.kind == OrganisationKind.PARTNER]
    entries = organisation_users.audit_log(db, [item]) if item else []
    return render_template("admin/organisation.html", item=item, form=form, errors=errors, partners=partners,
                           kinds=list(OrganisationKind), entries=entries, several=False), 422 if errors else 200


@bp.get("/users")
@admin_required
def users():
    db = get_session()
    query = select(User).order_by(User.name)
    org = request.args.get("organisation", type=database_id)
    if org:
        query = query.where(User.organisation_id == org)
    return render_template("admin/users.html", users=list(db.scalars(query)), organisations=_organisations(),
                           organisation=org, roles=list(Role), new_password=None, locked=throttle.locked_usernames(db))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    db = get_session()
    form, errors = request.form, {}
    if request.method == "POST":
        organisation = db.get(Organisation, form.get("organisation", type=database_id) or 0)
        with field_errors() as errors:
            if organisation is None:
                raise ValidationError({"organisation": "Choose the customer organisation."})
            if form.get("role") not in Role._value2member_map_:
                raise ValidationError({"role": "Choose a value from the list."})
            with writing(db):
                user = create_user(db, username=form.get("username", ""), password=form.get("password", ""),
                                   name=form.get("name", ""), organisation=organisation, role=Role(form["role"]),
                                   email=form.get("email") or None, phone=form.get("phone") or None,
                                   language=form.get("language", "sv"))
                user.may_approve_grants = form.get("may_approve_grants") == "1"
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form, errors=errors, organisations=_organisations(),
                           roles=list(Role)), 422 if errors else 200


@bp.post("/users/<int:user_id>/<action>")
@admin_required
def user_action(user_id: int, action: str):
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    password = None
    with field_errors() as errors, writing(db):
        if action == "deactivate":
            admin.deactivate_user(db, current_user, user)
        elif action == "reactivate":
            admin.reactivate_user(db, current_user, user)
        elif action == "reset-password":
            password = admin.reset_password(db, current_user, user)
        elif action == "unlock":
            admin.unlock_user(db, current_user, user.username)
        elif action == "two-factor-reset":
            admin.remove_two_factor(db, current_user, user)
        elif action == "role":
            admin.set_role(db, current_user, user, request.form.get("role", ""))
        else:
            abort(404)
    if errors:
        flash_errors(errors)
        return redirect(url_for("admin.users"))
    if password:
        return render_template("admin/users.html", users=[user], organisations=_organisations(), organisation=None,
                               roles=list(Role), new_password=(user, password), locked=throttle.locked_usernames(db))
    flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))


@bp.get("/licences")
@admin_required
def licences():
    db = get_session()
    items = list(db.scalars(select(Licence).join(Licence.organisation).order_by(Organisation.name)))
    return render_template("admin/licences.html", licences=items)


@bp.route("/licences/new", methods=["GET", "POST"], defaults={"licence_id": None})
@bp.route("/licences/<int:licence_id>", methods=["GET", "POST"])
@admin_required
def licence(licence_id: int | None):
    db = get_session()
    item = edited_or_404(Licence, licence_id)
    form, errors = request.form, {}
    if request.method == "POST":
        with field_errors() as errors, writing(db):
            admin.save_licence(db, current_user, item, organisation_key=form.get("organisation", ""),
                               product_code=form.get("product", ""), version=form.get("version", ""),
                               seats=form.get("seats", "1"), valid_until=form.get("valid_until", ""),
                               licence_key=form.get("licence_key", ""))
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.licences"))
    products = list(db.scalars(select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT)))
    return render_template("admin/licence.html", item=item, form=form, errors=errors, organisations=_organisations(),
                           products=products), 422 if errors else 200


@bp.route("/catalogue", methods=["GET", "POST"])
@admin_required
def catalogue_entries():
    db = get_session()
    errors, failed = {}, None
    if request.method == "POST" and request.form.get("new") == "1":
        form = request.form
        with field_errors() as errors, writing(db):
            admin.add_catalogue_entry(db, current_user, form.get("kind", ""), form.get("code", ""),
                                      form.get("label_sv", ""), form.get("label_fi", ""), form.get("product", ""))
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.catalogue_entries"))
        failed = "new"
    elif request.method == "POST":
        entry = db.get(CatalogueEntry, request.form.get("id", type=database_id) or 0) or abort(404)
        with field_errors() as errors, writing(db):
            admin.save_catalogue_labels(db, current_user, entry, request.form.get("label_sv", ""),
                                        request.form.get("label_fi", ""), request.form.get("active") == "1")
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.catalogue_entries") + f"#entry-{entry.id}")
        failed = entry.id
    entries = list(db.scalars(select(CatalogueEntry).order_by(CatalogueEntry.kind, CatalogueEntry.product_id,
                                                              CatalogueEntry.position)))
    products = [e for e in entries if e.kind == CatalogueKind.PRODUCT]
    return render_template("admin/catalogue.html", entries=entries, errors=errors, failed=failed, products=products,
                           kinds=list(CatalogueKind), form=request.form if failed == "new" else {}), \
        422 if errors else 200


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_csv():
    report, kind = None, request.form.get("kind", "organisations")
    if request.method == "POST":
        upload = request.files.get("file")
        text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
        db = get_session()
        with field_errors() as errors, writing(db):
            report = admin.import_csv(db, kind, text)
        if errors:
            flash_errors(errors)
    return render_template("admin/import.html", report=report, kind=kind, kinds=sorted(admin.COLUMNS),
                           columns=admin.COLUMNS)
