"""The index feed: which tickets' experience-database documents changed, in commit order.

Every node of a deployment keeps its own Whoosh index (a replica) and applies the feed by itself:

- A write transaction notes the tickets whose document may have changed (`note`, from the change log's
  flush listener). As it commits (`publish`, a before-commit listener) it takes the next position from
  the counter row "index_feed" and writes one queue row per ticket with that position. The counter row
  stays locked until the commit, so positions follow commit order: once a reader sees position n, every
  position before it is committed and visible too. (Ids are handed out before commit; an index that moved
  forward by id skipped a transaction that committed late with a smaller one.)
- A node records the last position its index has applied (its watermark) and reports it in `index_node`
  (`report`). Rows are forgotten (`prune`) only up to what every node seen within `node_timeout` has
  applied, and `index_pruned` records how far: a node whose watermark is below it (back after a long
  absence) has missed changes and must rebuild (`must_rebuild`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from .models import Counter, IndexNode, IndexQueueEntry, utcnow

FEED, PRUNED = "index_feed", "index_pruned"
NOTED = "kb_index_feed"  # session.info: the ticket numbers the open transaction changed
REPORT_EVERY = timedelta(seconds=60)  # a node that applied nothing new says it is alive this often


def note(session: Session, number: int) -> None:
    """A ticket whose document may have changed in this transaction."""
    session.info.setdefault(NOTED, set()).add(number)


def publish(session: Session) -> None:
    """Before commit: the noted tickets enter the feed at the next position, in commit order."""
    session.flush()  # the last changes: their listeners note the tickets (nothing to do when clean)
    numbers = session.info.pop(NOTED, None)
    if not numbers:
        return
    session.execute(update(Counter).where(Counter.name == FEED).values(value=Counter.value + 1))
    position = session.execute(select(Counter.value).where(Counter.name == FEED)).scalar_one()
    at = session.context.now or utcnow()  # kb's sessions (kb/db.py) carry a write context
    session.add_all(IndexQueueEntry(position=position, ticket_number=number, created_at=at)
                    for number in sorted(numbers))


def forget_noted(session: Session, *_args) -> None:
    """After a rollback: nothing of it enters the feed."""
    session.info.pop(NOTED, None)


def head(session: Session) -> int:
    """The last committed position."""
    return session.scalar(select(Counter.value).where(Counter.name == FEED)) or 0


def pruned_through(session: Session) -> int:
    """The last position forgotten: a replica that has not applied it must rebuild."""
    return session.scalar(select(Counter.value).where(Counter.name == PRUNED)) or 0


def changes_after(session: Session, applied: int, limit: int) -> tuple[set[int], int]:
    """(the tickets of the positions after `applied`, the last of those positions), about `limit` rows;
    a position is never split between two calls."""
    rows = session.execute(select(IndexQueueEntry.position, IndexQueueEntry.ticket_number)
                           .where(IndexQueueEntry.position > applied)
                           .order_by(IndexQueueEntry.position).limit(limit)).all()
    if not rows:
        return set(), applied
    last = rows[-1].position
    if len(rows) == limit:
        rows += session.execute(select(IndexQueueEntry.position, IndexQueueEntry.ticket_number)
                                .where(IndexQueueEntry.position == last)).all()
    return {row.ticket_number for row in rows}, last


def pending(session: Session, applied: int) -> tuple[int, datetime | None]:
    """(rows after `applied`, when the oldest of them was written)."""
    count, oldest = session.execute(select(func.count(IndexQueueEntry.id), func.min(IndexQueueEntry.created_at))
                                    .where(IndexQueueEntry.position > applied)).one()
    return count, oldest


def report_due(session: Session, node: str, applied: int, now: datetime | None = None) -> bool:
    """Whether a replica's watermark moved since its last report, or that report is getting old."""
    row = session.get(IndexNode, node)
    return row is None or row.applied != applied or (now or utcnow()) - row.seen_at >= REPORT_EVERY


def report(session: Session, node: str, applied: int, now: datetime | None = None) -> None:
    """Record a replica's watermark, and that it is alive."""
    now = now or utcnow()
    row = session.get(IndexNode, node)
    if row is None:
        session.add(IndexNode(name=node, applied=applied, seen_at=now))
    else:
        row.applied, row.seen_at = applied, now


def nodes(session: Session) -> list[IndexNode]:
    return list(session.scalars(select(IndexNode).order_by(IndexNode.name)))


def prunable(session: Session, node: str, applied: int, node_timeout: timedelta, now: datetime | None = None) -> int:
    """The last position that this node (at `applied`) and every other replica seen within `node_timeout`
    have applied, when rows up to it are still kept (0: nothing to forget)."""
    since = (now or utcnow()) - node_timeout
    others = session.scalar(select(func.min(IndexNode.applied)).where(IndexNode.seen_at >= since,
                                                                       IndexNode.name != node))
    through = applied if others is None else min(applied, others)
    kept = session.scalar(select(exists().where(IndexQueueEntry.position <= through))) if through else False
    return through if kept else 0


def prune(session: Session, through: int) -> int:
    """Forget the rows up to `through` and record it; returns how many were deleted."""
    deleted = session.execute(delete(IndexQueueEntry).where(IndexQueueEntry.position <= through)).rowcount
    session.execute(update(Counter).where(Counter.name == PRUNED, Counter.value < through).values(value=through))
    return deleted


def must_rebuild(session: Session, applied: int) -> bool:
    """Whether a replica at `applied` has missed changes that are no longer in the feed."""
    return applied < pruned_through(session)
