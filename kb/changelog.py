"""The change log and the index queue follow every flush, so no change can forget them.

`record` listens on kb's own session factory (kb/db.py), not on SQLAlchemy's global Session: every session
that `Database` opens writes them, whatever else its user imported, and nothing else is touched."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm import Session

from . import index_feed
from .models import (Attachment, Comment, Ticket, TicketEvent, WorkProposal,
                     utcnow)

# Relationships are logged by a readable key, plain columns by value.
LOGGED_RELATIONS = {
    "organisation": "name", "end_customer": "name", "contact": "username", "assigned_to": "username",
    "product": "code", "category": "code", "routine": "code", "ticket_type": "code",
    "operating_system": "code", "version": "code",
}
LOGGED_COLUMNS = (
    "subject", "language", "status", "database", "priority", "reply_method", "locked_at_customer", "urgent",
    "description", "application", "error_message", "affected_usernames", "company_numbers", "report_name", "solution",
    "published_title", "published_problem", "published_solution", "general", "external_id",
)


def event_time(session: Session) -> datetime:
    """Now, or the time a loader of historical data has set in the session's write context."""
    return session.context.now or utcnow()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _changes(session: Session, ticket: Ticket):
    """(field, old, new) for every logged attribute changed since the last flush. A value not loaded before it
    was set (a relation nobody read, an attribute expired by a commit) is read from the database, so the log
    always shows the value before, and a field cleared without being read is logged too."""
    state = inspect(ticket)
    mapper = inspect(Ticket)
    for name, key in LOGGED_RELATIONS.items():
        hist = state.attrs[name].history
        if not hist.added:
            continue
        new = getattr(hist.added[0], key) if hist.added[0] is not None else None
        if hist.deleted:
            old = getattr(hist.deleted[0], key) if hist.deleted[0] is not None else None
        else:
            [column] = mapper.relationships[name].local_columns
            old_id = _before(session, state, mapper.get_property_by_column(column).key)
            target = mapper.relationships[name].mapper.class_
            with session.no_autoflush:
                old_entry = session.get(target, old_id) if old_id is not None else None
            old = getattr(old_entry, key) if old_entry is not None else None
        if old != new:
            yield name, _text(old), _text(new)
    for name in LOGGED_COLUMNS + ("resolved_at",):
        hist = state.attrs[name].history
        if not hist.added:
            continue
        old = hist.deleted[0] if hist.deleted else _before(session, state, name)
        if hist.added[0] != old:
            if name != "resolved_at":
                yield name, _text(old), _text(hist.added[0])
            else:
                yield name, None, None  # not logged on its own; only marks the document stale


def _before(session: Session, state, name: str):
    """An attribute's value as of the last flush: the loaded one, else the database's (None for a new row)."""
    loaded = state.committed_state[name] if name in state.committed_state else state.dict.get(name, NO_VALUE)
    if loaded is not NO_VALUE:
        return loaded
    if state.identity is None:
        return None
    with session.no_autoflush:
        return session.execute(select(getattr(Ticket, name)).where(Ticket.id == state.identity[0])).scalar()


def record(session: Session, _flush_context, _instances) -> None:
    """Before each flush: a change-log event for every change; every ticket whose document may have
    changed is noted for the index feed, which the commit writes (kb/index_feed.py)."""
    actor_id = session.context.actor_id
    at = event_time(session)
    for obj in list(session.new):
        if isinstance(obj, Ticket):
            session.add(TicketEvent(ticket=obj, actor_id=actor_id, kind="created", at=at))
            index_feed.note(session, obj.number)
        elif isinstance(obj, Comment):
            session.add(TicketEvent(ticket=obj.ticket, actor_id=actor_id, kind="commented", comment=obj,
                                    internal=obj.internal, at=at))
            _note_comment(session, obj)
        elif isinstance(obj, Attachment):
            internal = obj.comment is not None and obj.comment.internal
            session.add(TicketEvent(ticket=obj.ticket, actor_id=actor_id, kind="attached",
                                    new_value=obj.filename, internal=internal, at=at))
        elif isinstance(obj, WorkProposal):
            session.add(TicketEvent(ticket=obj.ticket, actor_id=actor_id, kind="work_proposed",
                                    new_value=f"{obj.estimate_hours:g} h: {obj.description}", at=at))
    for obj in list(session.dirty):
        if isinstance(obj, Comment) and session.is_modified(obj):
            _note_comment(session, obj)
        if isinstance(obj, WorkProposal) and inspect(obj).attrs["status"].history.added:
            session.add(TicketEvent(ticket=obj.ticket, actor_id=actor_id, kind=f"work_{obj.status.value}",
                                    new_value=obj.decision_note, at=at))
            continue
        if not isinstance(obj, Ticket) or not session.is_modified(obj, include_collections=False):
            continue
        for field, old, new in _changes(session, obj):
            if field != "resolved_at":
                session.add(TicketEvent(ticket=obj, actor_id=actor_id, kind="changed", field=field,
                                        old_value=old, new_value=new, at=at))
        # Any change to a ticket may change its documents (the desk index holds every ticket): no list of
        # the documents' fields here that could go stale when a document gains one.
        index_feed.note(session, obj.number)
    for obj in list(session.deleted):
        if isinstance(obj, Ticket):
            index_feed.note(session, obj.number)
        elif isinstance(obj, Comment):
            _note_comment(session, obj)


def _note_comment(session: Session, comment: Comment) -> None:
    """A comment is part of its ticket's desk document, and of the one it was moved from (a merge)."""
    for ticket in inspect(comment).attrs["ticket"].history.sum() or [comment.ticket]:
        if ticket is not None:
            index_feed.note(session, ticket.number)
