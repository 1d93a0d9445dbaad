"""Service levels: first-response and resolution targets per priority, when each ticket is due and whether
it is late, and closing resolved tickets once the customer's reopen window has passed.

Targets are in calendar hours from registration (settings SLA_FIRST_RESPONSE_HOURS and
SLA_RESOLUTION_HOURS, "critical=1,high=4,normal=8,low=24"). A first response is support's first comment
the customer sees, or a proposed solution (`Ticket.first_response_at`, kb/tickets.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import KbError
from .models import Priority, Status, Ticket, utcnow

FIRST_RESPONSE = "critical=1,high=4,normal=8,low=24"
RESOLUTION = "critical=8,high=24,normal=72,low=168"


def parse(text: str, setting: str) -> dict[Priority, timedelta]:
    """'critical=1,high=4,normal=8,low=24' as a target for each priority; one clear error otherwise."""
    targets = {}
    for part in (text or "").split(","):
        name, _, hours = part.strip().partition("=")
        try:
            priority, value = Priority(name.strip()), float(hours.replace(",", "."))
        except ValueError:
            raise KbError("%(setting)s: write a number of hours for each priority, for example %(example)s.",
                          setting=setting, example=FIRST_RESPONSE) from None
        if value <= 0:
            raise KbError("%(setting)s: the hours must be more than 0.", setting=setting)
        targets[priority] = timedelta(hours=value)
    missing = [p.value for p in Priority if p not in targets]
    if missing:
        raise KbError("%(setting)s: no target for %(missing)s.", setting=setting, missing=", ".join(missing))
    return targets


@dataclass(frozen=True)
class Targets:
    first_response: dict[Priority, timedelta]
    resolution: dict[Priority, timedelta]

    @classmethod
    def from_settings(cls, settings) -> Targets:
        return cls(parse(settings.get("SLA_FIRST_RESPONSE_HOURS") or FIRST_RESPONSE, "SLA_FIRST_RESPONSE_HOURS"),
                   parse(settings.get("SLA_RESOLUTION_HOURS") or RESOLUTION, "SLA_RESOLUTION_HOURS"))


@dataclass(frozen=True)
class Due:
    """A ticket's two targets: when each is due, when it was met (None: not yet), and whether it is late."""

    first_response_due: datetime
    first_response_at: datetime | None
    resolution_due: datetime
    resolved_at: datetime | None
    now: datetime

    @property
    def first_response_late(self) -> bool:
        return (self.first_response_at or self.now) > self.first_response_due

    @property
    def resolution_late(self) -> bool:
        return (self.resolved_at or self.now) > self.resolution_due

    @property
    def next(self) -> datetime | None:
        """What is due next: the first response until there is one, then the resolution; None when solved."""
        if self.resolved_at is not None:
            return None
        return self.first_response_due if self.first_response_at is None else self.resolution_due

    @property
    def late(self) -> bool:
        return self.next is not None and self.now > self.next


def due(ticket: Ticket, targets: Targets, now: datetime | None = None) -> Due:
    priority = ticket.priority or Priority.NORMAL
    solved = ticket.resolved_at if ticket.status.is_solved else None
    return Due(ticket.created_at + targets.first_response[priority], ticket.first_response_at,
               ticket.created_at + targets.resolution[priority], solved, now or utcnow())


def due_first(tickets: list[Ticket], targets: Targets, now: datetime | None = None) -> list[Ticket]:
    """Tickets by what is due first (solved ones last, as they came)."""
    now = now or utcnow()
    return sorted(tickets, key=lambda t: (due(t, targets, now).next or datetime.max,))


def close_resolved(session: Session, days: int, now: datetime | None = None) -> int:
    """Close the tickets resolved more than `days` ago (after the reopen window); returns how many. Each
    closing is in the change log, credited to nobody (the portal did it)."""
    from .tickets import acting, set_status

    limit = (now or utcnow()) - timedelta(days=days)
    tickets = list(session.scalars(select(Ticket).where(Ticket.status == Status.RESOLVED,
                                                        Ticket.resolved_at < limit).limit(1000)))
    acting(session, None)
    for ticket in tickets:
        set_status(session, ticket, None, Status.CLOSED)
    return len(tickets)
