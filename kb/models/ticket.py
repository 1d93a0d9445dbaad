"""Tickets and what happens to them: change log, comments, attachments."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .catalogue import CatalogueEntry
from .organisation import Organisation, User


class Status(str, enum.Enum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # waiting for the customer
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"

    @property
    def is_solved(self) -> bool:
        return self in SOLVED_STATUSES


SOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)  # a solution was given: may be published, may be reopened
OPEN_STATUSES = tuple(status for status in Status if status not in SOLVED_STATUSES)  # support still owes an answer


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class ReplyMethod(str, enum.Enum):
    EMAIL = "email"
    NONE = "none"


class Ticket(Base):
    __tablename__ = "ticket"
    # The reports (kb/reports.py) read ranges of registration and solution dates from these alone, never the
    # wide rows: counts by week, product, language and channel, and times to first response and solution.
    __table_args__ = (
        Index("ix_ticket_report_created", "created_at", "product_id", "language", "channel", "priority",
              "first_response_at", "resolved_at", "organisation_id", "end_customer_id"),
        Index("ix_ticket_report_resolved", "resolved_at", "product_id", "organisation_id", "end_customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # from the ticket counter, never reused
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)  # id in a system imported from
    language: Mapped[str] = mapped_column(String(2), default="sv")
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[Status] = mapped_column(str_enum(Status), default=Status.NEW, index=True)

    # Customer information
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    end_customer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # Program information
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    routine_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    ticket_type_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    operating_system_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    database: Mapped[str | None] = mapped_column(String(100))  # "Databas: används inte", kept

    # Status
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.NORMAL)
    reply_method: Mapped[ReplyMethod] = mapped_column(str_enum(ReplyMethod), default=ReplyMethod.EMAIL)
    locked_at_customer: Mapped[bool] = mapped_column(Boolean, default=False)  # "används inte", kept
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # "kiireellinen"

    # Original description and the Finnish manual's details
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    application: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    affected_usernames: Mapped[str | None] = mapped_column(Text)
    company_numbers: Mapped[str | None] = mapped_column(Text)
    report_name: Mapped[str | None] = mapped_column(Text)  # "raportin nimi rajauksineen": a report and its filters

    # Solution and the experience database
    solution: Mapped[str | None] = mapped_column(Text)  # Markdown
    published_title: Mapped[str | None] = mapped_column(String(200))  # the subject as published, when edited
    published_problem: Mapped[str | None] = mapped_column(Text)
    published_solution: Mapped[str | None] = mapped_column(Text)
    general: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    general_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    general_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    # The customer's side of the conversation (kb/tickets.py add_comment): when they last wrote, and whether
    # they wrote after support last did (the queue lifts such tickets; support's next comment clears it).
    customer_message_at: Mapped[datetime | None]
    customer_replied: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_at: Mapped[datetime | None]  # support's first answer the customer sees (kb/service_levels.py)
    # A duplicate merged into another ticket (kb/tickets.py merge): that ticket's number, never reused.
    merged_into: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8), default="web")  # web | email | api | import: how it came in

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    end_customer: Mapped[Organisation | None] = relationship(foreign_keys=[end_customer_id])
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    general_by: Mapped[User | None] = relationship(foreign_keys=[general_by_id])
    product: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[product_id])
    category: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[category_id])
    routine: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[routine_id])
    ticket_type: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[ticket_type_id])
    operating_system: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[operating_system_id])
    version: Mapped[CatalogueEntry | None] = relationship(foreign_keys=[version_id])

    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id",
                                                     cascade="all, delete-orphan")
    comments: Mapped[list[Comment]] = relationship(back_populates="ticket", order_by="Comment.id",
                                                   cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket", order_by="Attachment.created_at",
                                                         cascade="all, delete-orphan")
    work_proposals: Mapped[list[WorkProposal]] = relationship(back_populates="ticket", order_by="WorkProposal.id",
                                                              cascade="all, delete-orphan")

    @hybrid_property
    def is_published(self) -> bool:
        """In the experience database: solved and flagged general. The one definition, in Python
        (`ticket.is_published`) and in SQL (`select(Ticket).where(Ticket.is_published)`)."""
        return bool(self.general) and self.status.is_solved

    @is_published.inplace.expression
    @classmethod
    def _is_published_expression(cls):
        return cls.general.is_(True) & cls.status.in_(SOLVED_STATUSES)

    @property
    def public_title(self) -> str:
        """The title the experience database shows: the subject, unless support edited it when publishing."""
        return self.published_title or self.subject or ""

    def __repr__(self) -> str:
        return f"<Ticket {self.number}>"


class TicketEvent(Base):
    """One line of the change log ("Ändringslogg"): who changed what, and when."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(32))  # created, changed, commented, attached
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # hidden from customers
    at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # support's note, never shown to customers
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="comment")


def new_attachment_id() -> str:
    return secrets.token_urlsafe(24)


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_attachment_id)  # unguessable
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    comment: Mapped[Comment | None] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class AttachmentContent(Base):
    """An attachment's bytes, when ATTACHMENT_STORAGE is `database` (kb/attachments.py): apart from
    the attachment's row, so that listing attachments never reads them."""

    __tablename__ = "attachment_content"

    attachment_id: Mapped[str] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StagedFile(Base):
    """A file held while its form is corrected, when ATTACHMENT_STORAGE is `database`: the next try
    of the form may reach another app node. No owner: sent after the session ended, claimed at login."""

    __tablename__ = "staged_file"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # unguessable
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpfulVote(Base):
    """A reader's answer to "Was this helpful?" on an experience-database entry; one per user and ticket."""

    __tablename__ = "helpful_vote"
    __table_args__ = (UniqueConstraint("ticket_id", "user_id", name="uq_helpful_vote_ticket_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkStatus(str, enum.Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class WorkProposal(Base):
    """Billable work that support proposes and the customer confirms in writing ("kirjallinen vahvistus")."""

    __tablename__ = "work_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    estimate_hours: Mapped[float] = mapped_column(Float)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[WorkStatus] = mapped_column(str_enum(WorkStatus), default=WorkStatus.PROPOSED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)  # the customer's written confirmation or reason

    ticket: Mapped[Ticket] = relationship(back_populates="work_proposals")
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Deflection(Base):
    """A customer found the answer in the experience database and filed no ticket ("This solved my problem")."""

    __tablename__ = "deflection"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
