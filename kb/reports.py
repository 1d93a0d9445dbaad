"""The figures of the Reports page, its CSV files and its API: each a function of a `Scope` (a date range, a
product, and for a customer admin their organisations) that asks the database for grouped counts, not
rows per ticket, where it can.

- tickets opened and solved per week, and opened by product, language and channel;
- first-response and resolution times (median, 90th percentile) per priority against the service levels;
- the backlog by status and age;
- the experience database: searches per week and those that found nothing, the queries that found
  nothing most often, the entries opened most, and "this solved my problem" and helpful votes per entry;
- remote-access grants requested, approved, declined, revoked, expired and used.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import Integer, and_, case, cast, distinct, func, or_, select
from sqlalchemy.orm import Session

from .models import (OPEN_STATUSES, CatalogueEntry, Deflection, EntryView, GrantAuditEntry, GrantStatus,
                     HelpfulVote, Priority, RemoteAccessGrant, SearchDay, Ticket, ZeroResultQuery, utcnow)
from .service_levels import Targets

AGES = ((1, "under_1_day"), (7, "1_to_7_days"), (30, "7_to_30_days"), (None, "over_30_days"))
CHANNELS = ("web", "email", "api", "import")
TOP = 20


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    product_id: int | None = None
    organisation_ids: tuple[int, ...] | None = None  # None: every organisation (staff)

    @classmethod
    def default(cls, today: date | None = None, **kw) -> Scope:
        """The last 12 whole weeks and this one."""
        today = today or utcnow().date()
        return cls(start=week_of(today) - timedelta(weeks=12), end=today, **kw)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), timezone.utc)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), timezone.utc)

    def weeks(self) -> list[date]:
        first, last = week_of(self.start), week_of(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    def tickets(self, query):
        """A query of tickets narrowed to the product and the organisations (the ticket's or its end customer)."""
        if self.product_id:
            query = query.where(Ticket.product_id == self.product_id)
        if self.organisation_ids is not None:
            query = query.where(or_(Ticket.organisation_id.in_(self.organisation_ids),
                                    Ticket.end_customer_id.in_(self.organisation_ids)))
        return query


def week_of(day: date) -> date:
    """The Monday of the day's week (ISO weeks, as both languages count them)."""
    return day - timedelta(days=day.weekday())


def _day_of(session: Session, column):
    """A timestamp's UTC day, as the database groups it cheapest: SQLite keeps it as text beginning with it."""
    return func.substr(column, 1, 10) if session.get_bind().dialect.name == "sqlite" else func.date(column)


def _day(value) -> date:
    """func.date() answers a string on SQLite and a date on PostgreSQL."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# -- tickets ------------------------------------------------------------------------------------------
@dataclass
class TicketFlow:
    weeks: list[date]
    opened: list[int]
    solved: list[int]
    by_product: dict[str, int] = field(default_factory=dict)  # product code ("" none) -> opened
    by_language: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    rows: list[tuple] = field(default_factory=list)  # (week, product, language, channel, opened) for the CSV


def ticket_flow(session: Session, scope: Scope) -> TicketFlow:
    weeks = scope.weeks()
    index = {week: n for n, week in enumerate(weeks)}
    opened, solved = [0] * len(weeks), [0] * len(weeks)
    codes = dict(session.execute(select(CatalogueEntry.id, CatalogueEntry.code)).all())
    day = _day_of(session, Ticket.created_at)
    grouped = session.execute(scope.tickets(
        select(day, Ticket.product_id, Ticket.language, Ticket.channel, func.count())
        .where(Ticket.created_at >= scope.since, Ticket.created_at < scope.until)
        .group_by(day, Ticket.product_id, Ticket.language, Ticket.channel))).all()
    flow = TicketFlow(weeks, opened, solved)
    detail: dict[tuple, int] = defaultdict(int)
    for when, product_id, language, channel, n in grouped:
        code = codes.get(product_id, "")
        week = week_of(_day(when))
        opened[index[week]] += n
        flow.by_product[code or ""] = flow.by_product.get(code or "", 0) + n
        flow.by_language[language] = flow.by_language.get(language, 0) + n
        flow.by_channel[channel] = flow.by_channel.get(channel, 0) + n
        detail[(week, code or "", language, channel)] += n
    flow.rows = [(*key, n) for key, n in sorted(detail.items())]
    solved_day = _day_of(session, Ticket.resolved_at)
    for when, n in session.execute(scope.tickets(
            select(solved_day, func.count()).where(Ticket.resolved_at >= scope.since, Ticket.resolved_at < scope.until)
            .group_by(solved_day))).all():
        solved[index[week_of(_day(when))]] += n
    return flow


@dataclass
class Times:
    """Hours from registration, per priority: how many, median, 90th percentile, the target and the share
    within it; None where no ticket has one yet."""

    priority: str
    tickets: int
    first_response_median: float | None
    first_response_p90: float | None
    first_response_target: float
    first_response_met: float | None
    resolution_median: float | None
    resolution_p90: float | None
    resolution_target: float
    resolution_met: float | None


def _hours(session: Session, later, earlier):
    """Hours between two timestamps, counted by the database (no row becomes Python datetimes)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def response_times(session: Session, scope: Scope, targets: Targets) -> list[Times]:
    """For the tickets registered in the range. The database counts the hours to each in tenths of an hour
    (`_histogram`), so no row is read into Python; the median and 90th percentile are read off those counts,
    exact to six minutes."""
    counts = dict(session.execute(scope.tickets(
        select(Ticket.priority, func.count()).where(Ticket.created_at >= scope.since, Ticket.created_at < scope.until)
        .group_by(Ticket.priority))).all())
    first = _histogram(session, scope, Ticket.first_response_at)
    resolved = _histogram(session, scope, Ticket.resolved_at)
    out = []
    for priority in Priority:
        first_target = targets.first_response[priority].total_seconds() / 3600
        resolution_target = targets.resolution[priority].total_seconds() / 3600
        out.append(Times(priority.value, counts.get(priority, 0), *_spread(first.get(priority)), first_target,
                         _share(first.get(priority), first_target), *_spread(resolved.get(priority)),
                         resolution_target, _share(resolved.get(priority), resolution_target)))
    return out


def _histogram(session: Session, scope: Scope, later) -> dict[Priority, tuple[np.ndarray, np.ndarray]]:
    """Per priority: (tenths of an hour from registration to `later`, how many tickets), where `later` is set."""
    tenths = cast(func.round(_hours(session, later, Ticket.created_at) * 10), Integer)
    found: dict[Priority, list[tuple[int, int]]] = defaultdict(list)
    for priority, bucket, n in session.execute(scope.tickets(
            select(Ticket.priority, tenths, func.count())
            .where(Ticket.created_at >= scope.since, Ticket.created_at < scope.until, later.is_not(None))
            .group_by(Ticket.priority, tenths))).all():
        found[priority].append((int(bucket), int(n)))
    return {priority: (np.array([b for b, _n in rows], dtype=float) / 10, np.array([n for _b, n in rows]))
            for priority, rows in found.items()}


def _spread(histogram) -> tuple[float | None, float | None]:
    """The median and the 90th percentile of a histogram (values, counts)."""
    if histogram is None or not histogram[1].sum():
        return None, None
    values, counts = histogram
    order = np.argsort(values)
    values, cumulative = values[order], np.cumsum(counts[order])
    total = cumulative[-1]
    return tuple(round(float(values[np.searchsorted(cumulative, total * q)]), 1) for q in (0.5, 0.9))


def _share(histogram, target: float) -> float | None:
    """The share of the histogram's tickets at or below the target."""
    if histogram is None or not histogram[1].sum():
        return None
    values, counts = histogram
    return round(float(counts[values <= target].sum()) / float(counts.sum()), 3)


@dataclass
class Backlog:
    """Open tickets now, by status and by how long ago they were registered."""

    ages: tuple[str, ...]
    counts: dict[str, list[int]]  # status -> a count per age


def backlog(session: Session, scope: Scope, now: datetime | None = None) -> Backlog:
    now = now or utcnow()
    bucket = case(*[(Ticket.created_at >= now - timedelta(days=days), n) for n, (days, _name) in enumerate(AGES)
                    if days is not None], else_=len(AGES) - 1)
    counts = {status.value: [0] * len(AGES) for status in OPEN_STATUSES}
    for status, age, n in session.execute(scope.tickets(
            select(Ticket.status, bucket, func.count()).where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.status, bucket))).all():
        counts[status.value if hasattr(status, "value") else status][int(age)] += n
    return Backlog(tuple(name for _days, name in AGES), counts)


# -- the experience database --------------------------------------------------------------------------
@dataclass
class Usage:
    weeks: list[date]
    searches: list[int]
    zero_results: list[int]
    zero_queries: list[tuple[str, int]]  # staff only
    opened: list[tuple[int, str, int]]  # (number, title, views)
    entries: list[tuple[int, str, int, int, int]]  # (number, title, solved my problem, helpful, not helpful)


def usage(session: Session, scope: Scope) -> Usage:
    weeks = scope.weeks()
    index = {week: n for n, week in enumerate(weeks)}
    searches, zero = [0] * len(weeks), [0] * len(weeks)
    for day, n, nothing in session.execute(
            select(SearchDay.day, func.sum(SearchDay.searches), func.sum(SearchDay.zero_results))
            .where(SearchDay.day >= scope.start, SearchDay.day <= scope.end).group_by(SearchDay.day)).all():
        searches[index[week_of(_day(day))]] += int(n)
        zero[index[week_of(_day(day))]] += int(nothing)
    zero_queries = [(query, int(n)) for query, n in session.execute(
        select(ZeroResultQuery.query, func.sum(ZeroResultQuery.searches).label("n"))
        .where(ZeroResultQuery.day >= scope.start, ZeroResultQuery.day <= scope.end)
        .group_by(ZeroResultQuery.query).order_by(func.sum(ZeroResultQuery.searches).desc(), ZeroResultQuery.query)
        .limit(TOP)).all()]
    views = session.execute(
        select(EntryView.ticket_number, func.sum(EntryView.views))
        .where(EntryView.day >= scope.start, EntryView.day <= scope.end)
        .group_by(EntryView.ticket_number).order_by(func.sum(EntryView.views).desc(), EntryView.ticket_number)
        .limit(TOP)).all()
    deflections = dict(session.execute(
        select(Deflection.ticket_id, func.count()).where(Deflection.at >= scope.since, Deflection.at < scope.until)
        .group_by(Deflection.ticket_id)).all())
    votes = session.execute(
        select(HelpfulVote.ticket_id, func.sum(case((HelpfulVote.helpful, 1), else_=0)),
               func.sum(case((HelpfulVote.helpful, 0), else_=1)))
        .where(HelpfulVote.at >= scope.since, HelpfulVote.at < scope.until).group_by(HelpfulVote.ticket_id)).all()
    voted = {ticket_id: (int(yes), int(no)) for ticket_id, yes, no in votes}
    ids = sorted(set(deflections) | set(voted), key=lambda i: (-deflections.get(i, 0), -sum(voted.get(i, (0, 0))), i))
    ids = ids[:TOP]
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))} if ids else {}
    numbers = [number for number, _n in views]
    titles = {t.number: t.public_title for t in session.scalars(select(Ticket).where(Ticket.number.in_(numbers)))} \
        if numbers else {}
    entries = [(tickets[i].number, tickets[i].public_title, deflections.get(i, 0), *voted.get(i, (0, 0)))
               for i in ids if i in tickets]
    return Usage(weeks, searches, zero, zero_queries,
                 [(number, titles.get(number, ""), int(n)) for number, n in views], entries)


# -- remote access ------------------------------------------------------------------------------------
def grants(session: Session, scope: Scope) -> dict[str, int]:
    """Grants asked for in the range, by what became of them, and how many support used."""
    query = select(RemoteAccessGrant.status, func.count()).where(
        RemoteAccessGrant.created_at >= scope.since, RemoteAccessGrant.created_at < scope.until)
    used = select(func.count(distinct(GrantAuditEntry.grant_id))).join(
        RemoteAccessGrant, RemoteAccessGrant.id == GrantAuditEntry.grant_id).where(
        and_(GrantAuditEntry.at >= scope.since, GrantAuditEntry.at < scope.until))
    if scope.organisation_ids is not None:
        query = query.where(RemoteAccessGrant.organisation_id.in_(scope.organisation_ids))
        used = used.where(RemoteAccessGrant.organisation_id.in_(scope.organisation_ids))
    counts = {status.value: 0 for status in GrantStatus}
    for status, n in session.execute(query.group_by(RemoteAccessGrant.status)).all():
        counts[status.value if hasattr(status, "value") else status] = n
    return {"asked": sum(counts.values()), **counts, "used": session.scalar(used) or 0}
