"""Disruption notices, remote-access grants, the counters and the two work queues."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .catalogue import CatalogueEntry
from .organisation import Organisation, User


class Counter(Base):
    """A named sequence; ticket numbers come from the row named 'ticket'."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class DisruptionNotice(Base):
    """A notice of a known disruption ("driftstörning" / "häiriötiedote"), shown on the ticket form."""

    __tablename__ = "disruption_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))  # None: every product
    title_sv: Mapped[str] = mapped_column(String(200))
    title_fi: Mapped[str] = mapped_column(String(200))
    body_sv: Mapped[str] = mapped_column(Text, default="")
    body_fi: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    product: Mapped[CatalogueEntry | None] = relationship()

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class GrantStatus(str, enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"  # requested but never answered before its window ended


class RemoteAccessGrant(Base):
    """Support's time-limited access to an organisation ("Neuvontaoikeudet")."""

    __tablename__ = "remote_access_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    areas: Mapped[str] = mapped_column(Text, default="")  # product codes, comma separated
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[GrantStatus] = mapped_column(str_enum(GrantStatus), default=GrantStatus.REQUESTED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821

    @property
    def area_codes(self) -> list[str]:
        return [a for a in self.areas.split(",") if a]

    def is_active(self, now: datetime) -> bool:
        return self.status == GrantStatus.APPROVED and self.starts_at <= now < self.ends_at


class GrantAuditEntry(Base):
    """One use of a remote-access grant by support: who looked at what, and when."""

    __tablename__ = "grant_audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("remote_access_grant.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    what: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"  # waiting to be sent (next_attempt_at: not before)
    SENDING = "sending"  # handed to the SMTP server (next_attempt_at: until when the claim holds)
    SENT = "sent"
    DEAD = "dead"  # given up after too many tries, or interrupted mid-send; an administrator may retry


class OutboxMessage(Base):
    """An e-mail written in the same transaction as its event, sent later by the worker."""

    __tablename__ = "outbox_message"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused: it is the Message-ID

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821


class MailReceipt(Base):
    """A message read from support's mail: the same message read twice (a maildir read again, an SMTP
    retry) is known by its Message-ID, or without one by a digest of its bytes, and makes one ticket."""

    __tablename__ = "mail_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the Message-ID (or the message)
    message_id: Mapped[str | None] = mapped_column(String(255))  # as sent, shortened, for reading
    sender: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))  # created | commented | unknown_sender
    ticket_number: Mapped[int | None] = mapped_column(Integer)
    authentication: Mapped[str | None] = mapped_column(String(200))  # the receiving server's verdict
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexQueueEntry(Base):
    """A ticket whose experience-database document must be brought up to date: the drain writes it when
    the ticket is published and removes it otherwise, so the row needs to say no more than the number.

    `position` orders the feed by commit: every row a transaction writes gets the transaction's position,
    taken from the counter row "index_feed" as the transaction commits (kb/index_feed.py), so a node that
    has applied position n has seen every change committed before it, whatever ids were handed out."""

    __tablename__ = "index_queue"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, index=True)
    ticket_number: Mapped[int] = mapped_column(Integer, index=True)  # no foreign key: outlives a deleted ticket
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexNode(Base):
    """An index replica (one node's index folder) and how far it has applied the feed. Rows are pruned
    only up to what every node seen lately has applied; a node not seen for a while no longer holds
    pruning back, and rebuilds when it comes back (kb/index_feed.py)."""

    __tablename__ = "index_node"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    applied: Mapped[int] = mapped_column(BigInteger, default=0)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CannedAnswer(Base):
    """A reply support reuses ("vakiovastaus" / "standardsvar"), in both languages; inserted into a comment
    or a solution and edited there before it is sent."""

    __tablename__ = "canned_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body_sv: Mapped[str] = mapped_column(Text, default="")
    body_fi: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def body(self, language: str) -> str:
        """The text in a language, or the other one when it has none."""
        return (self.body_fi or self.body_sv) if language == "fi" else (self.body_sv or self.body_fi)


# Usage of the experience database, counted per day without anything of who (kb/usage.py).
class SearchDay(Base):
    """How many searches a day, in one language filter and mode, and how many found nothing."""

    __tablename__ = "search_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(3), primary_key=True)  # sv | fi | all
    mode: Mapped[str] = mapped_column(String(10), primary_key=True)  # free | problem | solution
    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero_results: Mapped[int] = mapped_column(Integer, default=0)


class ZeroResultQuery(Base):
    """A search that found nothing, as typed (folded), and how often that day: what support could write up."""

    __tablename__ = "zero_result_query"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order: a report reads no index apart

    # The key in this order: a report adds up each query's days, read in key order without sorting.
    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)


class EntryView(Base):
    """How often an experience-database entry was opened that day."""

    __tablename__ = "entry_view"
    __table_args__ = {"sqlite_with_rowid": False}

    # The key in this order: a report adds up each entry's days, read in key order without sorting.
    ticket_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
