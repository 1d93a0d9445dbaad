"""`kb import`: resolved tickets exported from another system, one JSON object a line."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from .changelog import event_time
from .config import LANGUAGES
from .db import writing
from .models import SOLVED_STATUSES, CatalogueEntry, CatalogueKind, Status, Ticket
from .tickets import SUBJECT_MAX, acting, next_number

BATCH = 500


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)


class BadLine(ValueError):
    pass


def _resolved_at(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadLine(f"resolved_at is not an ISO 8601 date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def validate(item) -> dict:
    """The line's fields, checked; raises BadLine with a message naming the problem."""
    if not isinstance(item, dict):
        raise BadLine("not a JSON object")
    if item.get("language") not in LANGUAGES:
        raise BadLine("language must be \"sv\" or \"fi\"")
    subject = item.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise BadLine("subject is missing")
    if len(subject.strip()) > SUBJECT_MAX:
        raise BadLine(f"subject is longer than {SUBJECT_MAX} characters")
    for name in ("problem", "solution", "product", "category", "version", "external_id"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise BadLine(f"{name} must be a string")
    if not (item.get("problem") or "").strip() and not (item.get("solution") or "").strip():
        raise BadLine("problem or solution is required")
    if "general" in item and not isinstance(item["general"], bool):
        raise BadLine("general must be true or false")
    return {**item, "subject": subject.strip(), "resolved_at": _resolved_at(item.get("resolved_at"))}


class Catalogue:
    """Catalogue entries by code, looked up once per import."""

    def __init__(self, session: Session):
        self.entries = {(e.kind, e.product_id, e.code): e for e in session.scalars(select(CatalogueEntry))}

    def get(self, kind: CatalogueKind, code: str | None, product: CatalogueEntry | None = None):
        if not code:
            return None
        entry = self.entries.get((kind, product.id if product else None, code))
        if entry is None:
            raise BadLine(f"unknown {kind.value} {code!r}")
        return entry


def _apply(session: Session, catalogue: Catalogue, item: dict, ticket: Ticket | None) -> Ticket:
    # Every lookup that can fail comes before the first change, so a bad line changes nothing.
    product = catalogue.get(CatalogueKind.PRODUCT, item.get("product"))
    category = catalogue.get(CatalogueKind.CATEGORY, item.get("category"), product)
    version = catalogue.get(CatalogueKind.VERSION, item.get("version"), product)
    if ticket is None:
        ticket = Ticket(number=next_number(session), external_id=item.get("external_id"), channel="import",
                        created_at=item["resolved_at"] or event_time(session))
        session.add(ticket)
    problem, solution = (item.get("problem") or "").strip(), (item.get("solution") or "").strip()
    ticket.language, ticket.subject = item["language"], item["subject"]
    ticket.product, ticket.category, ticket.version = product, category, version
    ticket.description, ticket.solution = problem, solution
    ticket.published_problem, ticket.published_solution = problem, solution
    if ticket.status not in SOLVED_STATUSES:  # a new ticket has no status until it is flushed
        ticket.status = Status.RESOLVED
    ticket.resolved_at = item["resolved_at"] or ticket.resolved_at or event_time(session)
    general = item.get("general", True)
    if general and not ticket.general:
        ticket.general_at = event_time(session)
    ticket.general = general
    return ticket


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict | BadLine]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, validate(json.loads(line))
        except json.JSONDecodeError as exc:
            yield number, BadLine(f"invalid JSON ({exc.msg} at column {exc.colno})")
        except BadLine as exc:
            yield number, exc


def import_tickets(session: Session, lines: Iterable[str], progress: Callable[[int], None] = lambda n: None
                   ) -> ImportReport:
    """Create or update (by external_id) a resolved ticket per good line; report the bad ones."""
    report = ImportReport()
    batch: list[tuple[int, dict | BadLine]] = []

    def flush_batch():
        with writing(session):
            acting(session, None)
            catalogue = Catalogue(session)
            ids = [item["external_id"] for _n, item in batch if isinstance(item, dict) and item.get("external_id")]
            existing = {t.external_id: t for t in session.scalars(select(Ticket).where(Ticket.external_id.in_(ids)))}
            for number, item in batch:
                if isinstance(item, BadLine):
                    report.errors.append((number, str(item)))
                    continue
                ticket = existing.get(item.get("external_id")) if item.get("external_id") else None
                try:
                    saved = _apply(session, catalogue, item, ticket)
                except BadLine as exc:
                    report.errors.append((number, str(exc)))
                    continue
                if ticket is None:
                    report.created += 1
                    if saved.external_id:
                        existing[saved.external_id] = saved
                else:
                    report.updated += 1
        progress(len(batch))
        batch.clear()

    for entry in parse_lines(lines):
        batch.append(entry)
        if len(batch) >= BATCH:
            flush_batch()
    if batch:
        flush_batch()
    return report
