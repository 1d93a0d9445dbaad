"""Mail coming in to support's address (the Finnish manual's "sähköpostitse").

From a registered user's address a message becomes a new ticket, or, when its subject carries the
number of a ticket the user may see, a comment on it. "kiireellinen" or "brådskande" in the subject
marks a new ticket urgent. From an unknown address nothing is created: the sender is told that
HelpDesk credentials are needed. Automatic replies are ignored, so two robots never talk forever.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import access, catalogue
from .. import tickets as workflow
from ..attachments import AttachmentStore, Upload, check
from ..changelog import event_time
from ..config import LANGUAGES
from ..db import writing
from ..errors import N_
from ..i18n import translate
from ..models import MailReceipt, OutboxMessage, Priority, TicketEvent, User
from ..text import plain_text
from . import authentication
from .compose import one_line
from .settings import MailSettings

NUMBER = re.compile(r"(?:#|\b(?:ärende(?:t|nummer)?|tukipyyn(?:tö|nön|töön)|ticket)\s*#?\s*)(\d{4,9})\b", re.I)
URGENT = re.compile(r"\b(kiireellinen|brådskande)\b", re.I)
REPLY_PREFIX = re.compile(r"^\s*((re|sv|vs|aw|fw|fwd|vl|vb)\s*:\s*)+", re.I)
UNKNOWN_SUBJECT = N_("Your message to support was not registered")
UNKNOWN_BODY = N_("We received your message, but your address is not registered in the support portal, so no "
                  "ticket was created. HelpDesk credentials are needed to send support requests: ask your "
                  "organisation's administrator for a user account, then send the message again or register "
                  "the ticket in the portal.")
ASK = N_("Ask for a user here: %(link)s")
FOOTER = N_("This message was sent automatically. Replies to it are not read.")
CUT = N_("(The message was longer: all of it is attached as message.txt.)")


@dataclass
class Ingested:
    action: str  # created | commented | unknown_sender | ignored
    number: int | None = None
    skipped_files: list[str] = field(default_factory=list)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    return plain_text(text) if part.get_content_type() == "text/html" else text.strip()


def _files(message: EmailMessage) -> tuple[list[Upload], list[str]]:
    """The message's attachments that may be attached to a ticket, and the names of those that may not."""
    good, skipped = [], []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        data = part.get_payload(decode=True) or b""
        upload = Upload(name, data)
        (skipped.append(name or "?") if check([upload]) else good.append(upload))
    return good[:10], skipped + [u.filename for u in good[10:]]


def _user(session: Session, address: str) -> User | None:
    if not address:
        return None
    return session.scalar(select(User).where(func.lower(User.email) == address.lower(), User.active.is_(True)))


def _tell_unknown(session: Session, address: str) -> None:
    """One message in both languages: we cannot know which the stranger reads."""
    subject = " / ".join(translate(UNKNOWN_SUBJECT, lang) for lang in LANGUAGES)
    settings: MailSettings | None = session.context.mail
    link = f"{settings.base_url}/auth/request-account" if settings else ""
    body = "\n\n".join(translate(UNKNOWN_BODY, lang) + (" " + translate(ASK, lang, link=link) if link else "")
                         for lang in LANGUAGES)
    body += "\n\n-- \n" + " / ".join(translate(FOOTER, lang) for lang in LANGUAGES)
    session.add(OutboxMessage(kind="unknown_sender", recipient=one_line(address), language="sv",
                              subject=one_line(subject), body_text=body, created_at=event_time(session),
                              next_attempt_at=event_time(session)))


def receipt_key(message: EmailMessage, raw: bytes) -> str:
    """What makes a message the same message: its Message-ID, or without one its bytes."""
    message_id = " ".join(str(message.get("Message-ID", "")).split()).strip("<>").lower()
    return hashlib.sha256(f"id:{message_id}".encode() if message_id else b"raw:" + raw).hexdigest()


def ingest(session: Session, raw: bytes, store: AttachmentStore, settings: MailSettings | None) -> Ingested:
    """Turn one RFC 822 message into a ticket or a comment, in one transaction. A message already read
    (the same Message-ID) changes nothing and answers "duplicate"."""
    message = parse(raw)
    if message.get("Auto-Submitted", "no").strip().lower() != "no" or message.get("Precedence", "").lower() in (
            "bulk", "junk", "auto_reply"):
        return Ingested("ignored")
    address = parseaddr(str(message.get("From", "")))[1]
    checked = authentication.verdict(message, settings.authserv_id if settings else None)
    session.context.mail = settings
    key = receipt_key(message, raw)
    with writing(session):
        seen = session.scalar(select(MailReceipt).where(MailReceipt.key == key))
        if seen is not None:
            return Ingested("duplicate", seen.ticket_number)
        trusted = not (settings and settings.require_authenticated) or bool(checked and checked.authenticated)
        result = _register(session, message, address, store, trusted, checked)
        if result.action != "ignored":
            session.add(MailReceipt(key=key, message_id=one_line(str(message.get("Message-ID", "")))[:255] or None,
                                    sender=address[:254] or None, action=result.action,
                                    ticket_number=result.number, authentication=checked.summary if checked else None,
                                    received_at=event_time(session)))
        return result


def _register(session: Session, message: EmailMessage, address: str, store: AttachmentStore, trusted: bool,
              checked: authentication.Verdict | None) -> Ingested:
    """The ticket or comment a message makes, or the note that tells its sender why not. An untrusted
    sender (unauthenticated, when the settings require authentication) is an unknown one."""
    subject = one_line(str(message.get("Subject", "")))
    user = _user(session, address) if trusted else None
    if user is None:
        if address and "@" in address:
            _tell_unknown(session, address)
        return Ingested("unknown_sender")
    files, skipped = _files(message)
    text = _body(message) or subject
    match = NUMBER.search(subject)
    ticket = access.ticket_for(session, user, int(match.group(1))) if match else None
    if ticket is not None:
        body, whole = _fitted(text, workflow.TEXT_MAX["body"])
        comment = workflow.add_comment(session, ticket, user, body)
        store.attach(session, ticket, user, files + whole, comment=comment)
        _note(session, ticket, user, checked)
        return Ingested("commented", ticket.number, skipped)
    clean = REPLY_PREFIX.sub("", subject).strip() or next(iter(text.splitlines()), "")[:200] or (
        files[0].filename if files else "")
    if not clean:  # nothing to register: no subject, no text, no file
        return Ingested("ignored")
    body, whole = _fitted(text, workflow.TEXT_MAX["description"])
    product = catalogue.product_named(session, clean)
    ticket = workflow.create_ticket(session, user, subject=workflow.UNSTORABLE.sub("", clean)[:200],
                                    description=body, urgent=bool(URGENT.search(subject)), require_product=False,
                                    product=product.code if product else None,
                                    channel="email",
                                    priority=Priority.HIGH if URGENT.search(subject) else Priority.NORMAL)
    store.attach(session, ticket, user, files + whole)
    _note(session, ticket, user, checked)
    return Ingested("created", ticket.number, skipped)


def _note(session: Session, ticket, user: User, checked: authentication.Verdict | None) -> None:
    """Support sees, in the change log, what the receiving server said of the sender."""
    session.add(TicketEvent(ticket=ticket, actor_id=user.id, kind="mail_received", internal=True,
                            new_value=checked.summary if checked else None, at=event_time(session)))


def _fitted(text: str, limit: int) -> tuple[str, list[Upload]]:
    """The text as a ticket keeps it (no NUL, at most `limit` characters), and the whole text as a file
    when it had to be cut: nothing sent is lost."""
    text = workflow.UNSTORABLE.sub("", text)
    if len(text) <= limit:
        return text, []
    note = translate(CUT, "sv") + " / " + translate(CUT, "fi")
    return text[:limit - len(note) - 2] + "\n\n" + note, [Upload("message.txt", text.encode("utf-8"))]
