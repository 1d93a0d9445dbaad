"""Organisations, their users and their licences."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow


class OrganisationKind(str, enum.Enum):
    CUSTOMER = "customer"
    PARTNER = "partner"
    VENDOR = "vendor"  # the software vendor itself: support staff and administrators


class Role(str, enum.Enum):
    CUSTOMER = "customer"
    CUSTOMER_ADMIN = "customer_admin"
    PARTNER = "partner"
    SUPPORT = "support"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self in (Role.SUPPORT, Role.ADMIN)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True)  # stable key for demo data and imports
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind), default=OrganisationKind.CUSTOMER)
    company_number: Mapped[str | None] = mapped_column(String(32))  # org.nr / Y-tunnus
    language: Mapped[str] = mapped_column(String(2), default="sv")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))  # the reseller of an end customer
    grant_max_hours: Mapped[int] = mapped_column(Integer, default=4)  # "Neuvontaoikeudet voimassa enintään"
    partner_manages_users: Mapped[bool] = mapped_column(Boolean, default=False)  # its partner's admins may manage its users
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False)  # its users log in with a code too
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="end_customers")
    end_customers: Mapped[list[Organisation]] = relationship(back_populates="partner")
    users: Mapped[list[User]] = relationship(back_populates="organisation")
    licences: Mapped[list[Licence]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.CUSTOMER)
    language: Mapped[str] = mapped_column(String(2), default="sv")  # preferred language, sv or fi
    may_approve_grants: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped to end every session
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # two-factor login (kb/two_factor.py)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the time step of the last code taken: never twice
    # A second factor being set up: its key waits here (never in the cookie) until the first code proves it.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_at: Mapped[datetime | None]
    mail_off: Mapped[str] = mapped_column(String(200), default="")  # kinds of optional mail turned off (kb/mail/preferences.py)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    # The login protocol that web frameworks expect, duck-typed: the domain imports none of them.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    login_key = None  # the key of this request's login session (kb.sessions); not a column

    def get_id(self) -> str:
        """The user, their session version (bumped when every session must end) and the login session."""
        return f"{self.id}:{self.session_version}:{self.login_key or ''}"

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class Licence(Base):
    __tablename__ = "licence"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"))
    version: Mapped[str | None] = mapped_column(String(32))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    valid_until: Mapped[date | None] = mapped_column(Date)
    licence_key: Mapped[str | None] = mapped_column(String(64))

    organisation: Mapped[Organisation] = relationship(back_populates="licences")
    product: Mapped["CatalogueEntry"] = relationship()  # noqa: F821


class LoginSession(Base):
    """One login in a browser: its cookie names it (only its SHA-256 is stored here), and logging out
    ends it, so a copied cookie stops working with the original."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # Begun with a code as well as the password: a session without one ends where a code becomes required.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AccountLink(Base):
    """A single-use, time-limited link mailed to a user (kb/accounts.py): to set a new password (a forgotten
    one, or an invited user's first) or to confirm a new e-mail address. Only the token's SHA-256 is kept."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # reset | invite | email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))  # the new address an "email" link confirms
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use code that logs a user in when their authenticator is lost (only its SHA-256 is kept)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class UserAuditEntry(Base):
    """One change to an organisation's users by its admin (or its partner's, or the vendor's): who did what
    to whom (kb/organisation_users.py). The organisation's admins and the vendor's administrators read it."""

    __tablename__ = "user_audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))  # invited, deactivated, reactivated, role, approval, ...
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class AccountRequest(Base):
    """Someone asks for a user in the portal ("HelpDesk-tunnusten tilaus"): it reaches the admins of the
    organisation it names, or support when it names none that has one (kb/organisation_users.py)."""

    __tablename__ = "account_request"
    __table_args__ = (Index("ix_account_request_client_address", "client_address", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str] = mapped_column(String(200))
    company_number: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(2), default="sv")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(16))  # invited | declined
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))  # the user invited
    client_address: Mapped[str | None] = mapped_column(String(64))  # where the request came from (its limit)

    organisation: Mapped[Organisation | None] = relationship()


class LoginThrottle(Base):
    """Wrong passwords for one username or from one client address, and until when logins are locked
    (kb.throttle)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # user | address (logins), reset_from (mail asked)
    value: Mapped[str] = mapped_column(String(255))  # the username typed (lower case) or the address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
