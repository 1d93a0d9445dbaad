"""Mail coming in to support's address (the Finnish manual's "sähköpostitse").

From a registered user's address a message becomes a new ticket, or, when its subject carries the
number of a ticket the user may see, a comment on it. "kiireellinen" or "brådskande" in the subject
marks a new ticket urgent. From an unknown address nothing is created: the sender is told that
HelpDesk credentials are needed. Automatic replies are ignored, so two robots never talk forever.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import access
from .. import tickets as workflow
from ..attachments import AttachmentStore, Upload, check
from ..changelog import event_time
from ..db import writing
from ..errors import N_
from ..i18n import translate
from ..models import OutboxMessage, User
from ..text import plain_text
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
FOOTER = N_("This message was sent automatically. Replies to it are not read.")


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
    subject = " / ".join(translate(UNKNOWN_SUBJECT, lang) for lang in ("sv", "fi"))
    body = "\n\n".join(translate(UNKNOWN_BODY, lang) for lang in ("sv", "fi"))
    body += "\n\n-- \n" + " / ".join(translate(FOOTER, lang) for lang in ("sv", "fi"))
    session.add(OutboxMessage(kind="unknown_sender", recipient=one_line(address), language="sv",
                              subject=one_line(subject), body_text=body, created_at=event_time(session),
                              next_attempt_at=event_time(session)))


def ingest(session: Session, raw: bytes, store: AttachmentStore, settings: MailSettings | None) -> Ingested:
    """Turn one RFC 822 message into a ticket or a comment, in one transaction."""
    message = parse(raw)
    if message.get("Auto-Submitted", "no").strip().lower() != "no" or message.get("Precedence", "").lower() in (
            "bulk", "junk", "auto_reply"):
        return Ingested("ignored")
    address = parseaddr(str(message.get("From", "")))[1]
    subject = one_line(str(message.get("Subject", "")))
    session.info["mail"] = settings
    with writing(session):
        user = _user(session, address)
        if user is None:
            if address and "@" in address:
                _tell_unknown(session, address)
            return Ingested("unknown_sender")
        files, skipped = _files(message)
        body = _body(message) or subject
        match = NUMBER.search(subject)
        ticket = access.ticket_for(session, user, int(match.group(1))) if match else None
        if ticket is not None:
            comment = workflow.add_comment(session, ticket, user, body)
            store.attach(session, ticket, user, files, comment=comment)
            return Ingested("commented", ticket.number, skipped)
        clean = REPLY_PREFIX.sub("", subject).strip() or next(iter(body.splitlines()), "")[:200] or (
            files[0].filename if files else "")
        if not clean:  # nothing to register: no subject, no text, no file
            return Ingested("ignored")
        ticket = workflow.create_ticket(session, user, subject=clean[:200], description=body,
                                        urgent=bool(URGENT.search(subject)), require_product=False)
        store.attach(session, ticket, user, files)
        return Ingested("created", ticket.number, skipped)
