"""The demo dataset in data/demo: organisations, users, catalogues, licences, notices and tickets."""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import tickets as workflow
from .db import writing
from .models import (CatalogueEntry, CatalogueKind, DisruptionNotice, Licence, Organisation, OrganisationKind,
                     Priority, ReplyMethod, Role, Status, Ticket, User, utcnow)
from .users import hash_password

DEMO_PASSWORD = "demo"
EXTERNAL_PREFIX = "demo:"


def read_dataset(data_dir: Path) -> dict:
    """The dataset files, parsed."""
    demo = data_dir / "demo"
    base = json.loads((demo / "organisations.json").read_text("utf-8"))
    base["catalogue"] = json.loads((demo / "catalogue.json").read_text("utf-8"))
    base["tickets"] = []
    for name in ("tickets_sv.json", "tickets_fi.json"):
        base["tickets"] += json.loads((demo / name).read_text("utf-8"))
    return base


def _upsert_entry(session: Session, kind: CatalogueKind, item: dict, position: int,
                  product: CatalogueEntry | None = None) -> CatalogueEntry:
    code = item["code"] if isinstance(item, dict) else item
    entry = session.scalar(select(CatalogueEntry).where(
        CatalogueEntry.kind == kind, CatalogueEntry.code == code,
        CatalogueEntry.product_id == (product.id if product else None)))
    if entry is None:
        entry = CatalogueEntry(kind=kind, code=code, product=product)
        session.add(entry)
    entry.label_sv = item["sv"] if isinstance(item, dict) else code
    entry.label_fi = item["fi"] if isinstance(item, dict) else code
    entry.position = position
    session.flush()
    return entry


def load_catalogue(session: Session, catalogue: dict) -> None:
    for i, item in enumerate(catalogue["products"]):
        product = _upsert_entry(session, CatalogueKind.PRODUCT, item, i)
        for kind, key in ((CatalogueKind.CATEGORY, "categories"), (CatalogueKind.ROUTINE, "routines"),
                          (CatalogueKind.VERSION, "versions")):
            for j, sub in enumerate(item.get(key, [])):
                _upsert_entry(session, kind, sub, j, product)
    for i, item in enumerate(catalogue["ticket_types"]):
        _upsert_entry(session, CatalogueKind.TICKET_TYPE, item, i)
    for i, item in enumerate(catalogue["operating_systems"]):
        _upsert_entry(session, CatalogueKind.OPERATING_SYSTEM, item, i)


def load_organisations(session: Session, data: dict) -> None:
    orgs = {}
    for item in data["organisations"]:
        org = session.scalar(select(Organisation).where(Organisation.key == item["key"]))
        if org is None:
            org = Organisation(key=item["key"])
            session.add(org)
        org.name, org.kind = item["name"], OrganisationKind(item["kind"])
        org.company_number, org.language = item.get("company_number"), item.get("language", "sv")
        orgs[item["key"]] = org
    for item in data["organisations"]:
        orgs[item["key"]].partner = orgs.get(item.get("partner"))
    for item in data["users"]:
        user = session.scalar(select(User).where(User.username == item["username"]))
        if user is None:
            password = DEMO_PASSWORD if item.get("login") else secrets.token_urlsafe(16)
            user = User(username=item["username"], password_hash=hash_password(password))
            session.add(user)
        user.name, user.organisation, user.role = item["name"], orgs[item["organisation"]], Role(item["role"])
        user.email, user.phone, user.language = item.get("email"), item.get("phone"), item.get("language", "sv")
        user.may_approve_grants = bool(item.get("may_approve_grants"))
    session.flush()


def _product(session: Session, code: str) -> CatalogueEntry:
    return session.scalar(select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT,
                                                       CatalogueEntry.code == code))


def load_licences_and_notices(session: Session, data: dict, now: datetime) -> None:
    for item in data["licences"]:
        org = session.scalar(select(Organisation).where(Organisation.key == item["organisation"]))
        product = _product(session, item["product"])
        licence = session.scalar(select(Licence).where(Licence.organisation == org, Licence.product == product))
        if licence is None:
            licence = Licence(organisation=org, product=product)
            session.add(licence)
        licence.version, licence.seats = item.get("version"), item.get("seats", 1)
        licence.valid_until = date.fromisoformat(item["valid_until"]) if item.get("valid_until") else None
        licence.licence_key = item.get("licence_key")
    for item in data["disruptions"]:
        notice = session.scalar(select(DisruptionNotice).where(DisruptionNotice.title_sv == item["title_sv"]))
        if notice is None:
            starts = now - timedelta(days=item["started_days_ago"])
            notice = DisruptionNotice(title_sv=item["title_sv"], title_fi=item["title_fi"], starts_at=starts,
                                      ends_at=starts + timedelta(days=item["lasts_days"]))
            session.add(notice)
        product = _product(session, item["product"]) if item.get("product") else None
        notice.product = product
        notice.title_fi, notice.body_sv, notice.body_fi = item["title_fi"], item["body_sv"], item["body_fi"]
    session.flush()


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _ago(item: dict, prefix: str = "") -> timedelta:
    """How long ago something happened: `days_ago`, or `hours_ago` for the open tickets of today's queue (they
    are hours old, as in a real support day, so only a few are late)."""
    if f"{prefix}hours_ago" in item:
        return timedelta(hours=item[f"{prefix}hours_ago"])
    return timedelta(days=item[f"{prefix}days_ago"])


def load_ticket(session: Session, item: dict, now: datetime) -> bool:
    """Register one demo ticket through the workflow, back-dated; False if it is already there."""
    external_id = EXTERNAL_PREFIX + item["key"]
    if session.scalar(select(Ticket.id).where(Ticket.external_id == external_id)) is not None:
        return False
    created = now - _ago(item, "created_")
    org = session.scalar(select(Organisation).where(Organisation.key == item["organisation"]))
    end_customer = (session.scalar(select(Organisation).where(Organisation.key == item["end_customer"]))
                    if item.get("end_customer") else None)
    session.context.now = created
    ticket = workflow.create_ticket(
        session, _user(session, item["registered_by"]), subject=item["subject"], language=item["language"],
        organisation=org, end_customer=end_customer, contact=_user(session, item["contact"]),
        product=item["product"], category=item.get("category"), routine=item.get("routine"),
        ticket_type=item.get("ticket_type"), operating_system=item.get("operating_system"),
        version=item.get("version"), priority=Priority(item.get("priority", "normal")),
        reply_method=ReplyMethod(item.get("reply_method", "email")), urgent=bool(item.get("urgent")),
        description=item["description"], application=item.get("application") or None,
        error_message=item.get("error_message") or None,
        affected_usernames=item.get("affected_usernames") or None,
        company_numbers=item.get("company_numbers") or None, report_name=item.get("report_name") or None,
        external_id=external_id)
    support = _user(session, "support" if item["language"] == "sv" else "timo")
    steps: list[tuple[datetime, Callable[[], None]]] = []
    for c in item.get("comments", []):
        author = _user(session, c["author"])
        steps.append((now - _ago(c), lambda a=author, c=c: workflow.add_comment(
            session, ticket, a, c["body"], internal=bool(c.get("internal")))))
    status = Status(item["status"])
    if item.get("resolved_days_ago") is not None and status.is_solved:
        resolved = now - timedelta(days=item["resolved_days_ago"])
        steps.append((resolved, lambda: workflow.propose_solution(session, ticket, support, item["solution"])))
        if status == Status.CLOSED:
            steps.append((resolved + timedelta(days=7), lambda: workflow.set_status(
                session, ticket, support, Status.CLOSED)))
        if item.get("general"):
            steps.append((resolved + timedelta(hours=1), lambda: workflow.set_general(
                session, ticket, support, True, item["published_problem"], item["published_solution"])))
    elif status != Status.NEW:
        # after the conversation: a customer's comment puts a waiting ticket back in progress (kb/tickets.py)
        at = max([created + timedelta(hours=2)] + [when + timedelta(minutes=1) for when, _step in steps])
        steps.append((at, lambda: workflow.set_status(session, ticket, support, status)))
    for at, step in sorted(steps, key=lambda s: s[0]):
        session.context.now = max(at, created)
        step()
    session.context.now = None
    return True


def count_items(data: dict) -> int:
    return 1 + len(data["tickets"])


def load_demo(session: Session, data_dir: Path, progress: Callable[[int], None] = lambda n: None,
              now: datetime | None = None) -> int:
    """Load (or bring up to date) the demo data; returns how many tickets were added."""
    now = now or utcnow()
    data = read_dataset(data_dir)
    with writing(session):
        load_catalogue(session, data["catalogue"])
        load_organisations(session, data)
        load_licences_and_notices(session, data, now)
    progress(1)
    added = 0
    for item in sorted(data["tickets"], key=lambda t: -_ago(t, "created_")):
        with writing(session):
            added += load_ticket(session, item, now)
        progress(1)
    return added
