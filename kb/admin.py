"""Administration: organisations and their partner links, users and roles, licences, catalogues, CSV import."""
from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import credentials, organisation_users, throttle, two_factor
from .config import LANGUAGES
from .errors import N_, ValidationError
from .models import (CatalogueEntry, CatalogueKind, Licence, Organisation, OrganisationKind, Role, User)
from .users import create_user, find_user, hash_password


def _admin(actor: User | None) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise ValidationError({"admin": N_("Only administrators can do this.")})


def save_organisation(session: Session, actor: User | None, organisation: Organisation | None, *, key: str,
                      name: str, kind: str, company_number: str = "", language: str = "sv",
                      partner_key: str = "", partner_manages_users: bool = False) -> Organisation:
    """Create or edit an organisation; an end customer names its partner, and whether the partner's admins
    may manage its users."""
    _admin(actor)
    errors = {}
    key, name = (key or "").strip().lower(), (name or "").strip()
    if not key or not key.replace("-", "").replace("_", "").isalnum() or len(key) > 64:
        errors["key"] = N_("Use letters, digits, hyphens or underscores as the key.")
    elif session.scalar(select(Organisation.id).where(Organisation.key == key,
                                                      Organisation.id != (organisation.id if organisation else -1))):
        errors["key"] = N_("That key is taken.")
    if not name:
        errors["name"] = N_("This field is required.")
    kind_value = OrganisationKind._value2member_map_.get(kind)
    if kind_value is None:
        errors["kind"] = N_("Choose a value from the list.")
    if language not in LANGUAGES:
        errors["language"] = N_("Choose Swedish or Finnish.")
    partner = None
    if partner_key:
        partner = session.scalar(select(Organisation).where(Organisation.key == partner_key.strip().lower()))
        if partner is None or partner.kind != OrganisationKind.PARTNER or partner is organisation:
            errors["partner"] = N_("Choose a partner organisation.")
    return _saved(session, errors, organisation, Organisation, key=key, name=name, kind=kind_value,
                  company_number=(company_number or "").strip() or None,
                  language=language, partner=partner, partner_manages_users=bool(partner and partner_manages_users))


def _saved(session: Session, errors: dict, obj, model, **values):
    """Refuse with every error at once; or give `obj` (a new `model` when None) the values, and flush."""
    if errors:
        raise ValidationError(errors)
    if obj is None:
        obj = model()
        session.add(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    session.flush()
    return obj


def deactivate_user(session: Session, actor: User | None, user: User) -> None:
    """The user can no longer log in, and every session of theirs ends at once."""
    _admin(actor)
    if actor is not None and actor.id == user.id:
        raise ValidationError({"user": N_("You cannot deactivate yourself.")})
    user.active = False
    credentials.changed(session, user, credentials.DEACTIVATED)
    organisation_users.record(session, actor, user, "deactivated")
    session.flush()


def reactivate_user(session: Session, actor: User | None, user: User) -> None:
    _admin(actor)
    user.active = True
    organisation_users.record(session, actor, user, "reactivated")
    session.flush()


def reset_password(session: Session, actor: User | None, user: User) -> str:
    """A new random password, shown once to the administrator: an account recovery (kb/credentials.py: the
    user's sessions, links and API tokens end)."""
    _admin(actor)
    password = secrets.token_urlsafe(9)
    user.password_hash = hash_password(password)
    credentials.changed(session, user, credentials.RECOVERY)
    session.flush()
    return password


def remove_two_factor(session: Session, actor: User | None, user: User) -> None:
    """A lost phone: the user's second factor and recovery codes go, their sessions end; where it is
    required they set it up again at their next login."""
    _admin(actor)
    two_factor.reset(session, user)
    credentials.changed(session, user, credentials.SECOND_FACTOR)
    organisation_users.record(session, actor, user, "two_factor_reset")
    session.flush()


def unlock_user(session: Session, actor: User | None, username: str) -> bool:
    """Lift the lock that wrong passwords put on a username; whether there was one."""
    _admin(actor)
    return throttle.unlock(session, username)


def set_role(session: Session, actor: User | None, user: User, role: str) -> None:
    _admin(actor)
    if role not in Role._value2member_map_:
        raise ValidationError({"role": N_("Choose a value from the list.")})
    old = user.role.value
    user.role = Role(role)
    credentials.changed(session, user, credentials.ROLE)  # rights changed: log in again
    if old != role:
        organisation_users.record(session, actor, user, "role", old, role)
    session.flush()


def save_licence(session: Session, actor: User | None, licence: Licence | None, *, organisation_key: str,
                 product_code: str, version: str = "", seats="1", valid_until: str = "",
                 licence_key: str = "") -> Licence:
    _admin(actor)
    errors = {}
    organisation = session.scalar(select(Organisation).where(Organisation.key == (organisation_key or "").strip()))
    if organisation is None:
        errors["organisation"] = N_("Choose the customer organisation.")
    product = session.scalar(select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT,
                                                          CatalogueEntry.code == (product_code or "").strip()))
    if product is None:
        errors["product"] = N_("Choose a product from the list.")
    try:
        seat_count = int(str(seats).strip() or "1")
        if seat_count < 1:
            raise ValueError
    except ValueError:
        errors["seats"] = N_("Give the number of users as a whole number.")
        seat_count = 1
    until = None
    if (valid_until or "").strip():
        try:
            until = date.fromisoformat(valid_until.strip())
        except ValueError:
            errors["valid_until"] = N_("Give the date as YYYY-MM-DD.")
    return _saved(session, errors, licence, Licence, organisation=organisation, product=product,
                  version=(version or "").strip() or None, seats=seat_count, valid_until=until,
                  licence_key=(licence_key or "").strip() or None)


def save_catalogue_labels(session: Session, actor: User | None, entry: CatalogueEntry, label_sv: str,
                          label_fi: str, active: bool = True) -> None:
    _admin(actor)
    _saved(session, _label_errors(label_sv, label_fi), entry, CatalogueEntry, label_sv=(label_sv or "").strip(),
           label_fi=(label_fi or "").strip(), active=active)


def _label_errors(label_sv: str, label_fi: str) -> dict:
    """A list entry's label is written in both languages."""
    errors = {}
    if not (label_sv or "").strip():
        errors["label_sv"] = N_("Write the label in Swedish.")
    if not (label_fi or "").strip():
        errors["label_fi"] = N_("Write the label in Finnish.")
    return errors


# -- CSV import ------------------------------------------------------------------------------------

COLUMNS = {
    "organisations": ("key", "name", "kind", "company_number", "language", "partner"),
    "users": ("username", "name", "organisation", "role", "email", "phone", "language"),
    "licences": ("organisation", "product", "version", "seats", "valid_until", "licence_key"),
}


@dataclass
class CsvReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # line, {column: message id}
    passwords: list[tuple[str, str]] = field(default_factory=list)  # new users' first passwords


def import_csv(session: Session, kind: str, text: str | Iterable[str]) -> CsvReport:
    """Organisations, users or licences from CSV with a header row; each bad line is reported by number."""
    if kind not in COLUMNS:
        raise ValidationError({"kind": N_("Choose organisations, users or licences.")})
    rows = csv.DictReader(io.StringIO(text) if isinstance(text, str) else text)
    missing = [c for c in COLUMNS[kind][:2] if c not in (rows.fieldnames or [])]
    if missing:
        raise ValidationError({"header": N_("The header row lacks a column that must be there:")},
                              detail=", ".join(missing))
    report = CsvReport()
    for row in rows:
        line = rows.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k}
        savepoint = session.begin_nested()
        try:
            created = _import_row(session, kind, row, report)
        except ValidationError as error:
            savepoint.rollback()
            report.errors.append((line, error.errors))
            continue
        savepoint.commit()
        report.created += created
        report.updated += not created
    return report


def _import_row(session: Session, kind: str, row: dict, report: CsvReport) -> bool:
    if kind == "organisations":
        existing = session.scalar(select(Organisation).where(Organisation.key == row.get("key", "").lower()))
        save_organisation(session, None, existing, key=row.get("key", ""), name=row.get("name", ""),
                          kind=row.get("kind") or "customer", company_number=row.get("company_number", ""),
                          language=row.get("language") or "sv", partner_key=row.get("partner", ""))
        return existing is None
    if kind == "users":
        organisation = session.scalar(select(Organisation).where(Organisation.key == row.get("organisation", "")))
        if organisation is None:
            raise ValidationError({"organisation": N_("No organisation has this key.")})
        role = row.get("role") or "customer"
        if role not in Role._value2member_map_:
            raise ValidationError({"role": N_("Give the role as customer, customer_admin, partner, support or admin.")})
        existing = find_user(session, row.get("username", ""))
        if existing is not None:
            existing.name = row.get("name") or existing.name
            existing.organisation, existing.role = organisation, Role(role)
            existing.email, existing.phone = row.get("email") or existing.email, row.get("phone") or existing.phone
            session.flush()
            return False
        password = secrets.token_urlsafe(9)
        create_user(session, username=row.get("username", ""), password=password, name=row.get("name", ""),
                    organisation=organisation, role=Role(role), email=row.get("email") or None,
                    phone=row.get("phone") or None, language=row.get("language") or "sv")
        session.flush()
        report.passwords.append((row["username"].lower(), password))
        return True
    existing = session.scalar(select(Licence).join(Licence.organisation).join(Licence.product).where(
        Organisation.key == row.get("organisation", ""), CatalogueEntry.code == row.get("product", "")))
    save_licence(session, None, existing, organisation_key=row.get("organisation", ""),
                 product_code=row.get("product", ""), version=row.get("version", ""), seats=row.get("seats") or "1",
                 valid_until=row.get("valid_until", ""), licence_key=row.get("licence_key", ""))
    return existing is None


def add_catalogue_entry(session: Session, actor: User | None, kind: str, code: str, label_sv: str, label_fi: str,
                        product_code: str = "") -> CatalogueEntry:
    """A new entry in a list; categories, routines and versions belong to a product."""
    _admin(actor)
    errors = {}
    if kind not in CatalogueKind._value2member_map_:
        errors["kind"] = N_("Choose a value from the list.")
        kind = CatalogueKind.PRODUCT.value
    kind_ = CatalogueKind(kind)
    product = None
    if kind_ in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE, CatalogueKind.VERSION):
        product = session.scalar(select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT,
                                                              CatalogueEntry.code == (product_code or "").strip()))
        if product is None:
            errors["product"] = N_("Choose a product from the list.")
    code = (code or "").strip()
    if not code or len(code) > 64:
        errors["code"] = N_("This field is required.")
    elif session.scalar(select(CatalogueEntry.id).where(
            CatalogueEntry.kind == kind_, CatalogueEntry.code == code,
            CatalogueEntry.product_id == (product.id if product else None))):
        errors["code"] = N_("That key is taken.")
    errors.update(_label_errors(label_sv, label_fi))
    return _saved(session, errors, None, CatalogueEntry, kind=kind_, code=code, product=product,
                  label_sv=(label_sv or "").strip(), label_fi=(label_fi or "").strip(), position=1000)
