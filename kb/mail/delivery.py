"""Delivering the outbox: over SMTP, or into a maildir when no SMTP server is configured.

A message is claimed (PENDING -> SENDING) just before the SMTP server is given its DATA, and marked
SENT once the server accepted it. A failure before DATA puts it back to PENDING with a back-off; after
`max_attempts` it is DEAD, for an administrator to look at and retry. A process that dies between
handing over DATA and recording SENT leaves the message SENDING: when its claim has run out it becomes
DEAD ("interrupted") rather than being sent again, so nobody gets the same e-mail twice. The outbox
id is the Message-ID, so the message is recognisable as one and the same wherever it went.
"""
from __future__ import annotations

import logging
import mailbox
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from sqlalchemy import exists, select, update
from sqlalchemy.orm import joinedload

from ..db import Database, writing
from ..models import OutboxMessage, OutboxStatus, Ticket, utcnow
from .compose import REPLYABLE
from .settings import MailSettings

CLAIM = timedelta(minutes=5)
log = logging.getLogger("kb.mail")  # each send and each failure


class AlreadyClaimed(Exception):
    """Another process is sending this message."""
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour between tries."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _domain(settings: MailSettings) -> str:
    return parseaddr(settings.sender)[1].rpartition("@")[2] or "kb.invalid"


def message_id(item: OutboxMessage, settings: MailSettings) -> str:
    return f"<outbox-{item.id}@{_domain(settings)}>"


def thread_id(ticket_number: int, settings: MailSettings) -> str:
    """The one Message-ID every mail of a ticket refers to, so that mail clients show them as one thread."""
    return f"<ticket-{ticket_number}@{_domain(settings)}>"


def build(item: OutboxMessage, settings: MailSettings) -> EmailMessage:
    """The e-mail of an outbox row. The SMTP policy refuses CR or LF inside any header."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = settings.sender
    mail["To"] = item.recipient
    mail["Subject"] = item.subject
    mail["Message-ID"] = message_id(item, settings)
    if item.ticket is not None:
        mail["In-Reply-To"] = mail["References"] = thread_id(item.ticket.number, settings)
        if item.kind in REPLYABLE and settings.support_address:  # a reply reaches mail in, as a comment
            mail["Reply-To"] = settings.support_address
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Auto-Submitted"] = "auto-generated"
    mail["Content-Language"] = item.language
    mail.set_content(item.body_text)
    if item.body_html:
        mail.add_alternative(item.body_html, subtype="html")
    return mail


class Transport:
    """Sends one message; `before_data` is called when all is checked and only DATA remains."""

    def send(self, mail: EmailMessage, recipient: str, before_data: Callable[[], None]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class MaildirTransport(Transport):
    """The embedded default: each message a file in <instance>/maildir, to be read with any mail client."""

    def __init__(self, path):
        self.box = mailbox.Maildir(str(path), create=True)

    def send(self, mail, recipient, before_data):
        before_data()
        self.box.add(mail)


class SMTPTransport(Transport):
    def __init__(self, settings: MailSettings):
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            client.login(s.smtp_user, s.smtp_password or "")
        return client

    def send(self, mail, recipient, before_data):
        if self.client is None:
            self.client = self._connect()
        client = self.client
        sender = parseaddr(self.settings.sender)[1]
        client.ehlo_or_helo_if_needed()
        code, reply = client.mail(sender, ["SMTPUTF8"] if client.has_extn("smtputf8") else [])
        if code != 250:
            client.rset()
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            client.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        try:
            before_data()
        except AlreadyClaimed:
            client.rset()
            raise
        code, reply = client.data(mail.as_bytes(policy=SMTP))
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def close(self):
        if self.client is not None:
            try:
                self.client.quit()
            except smtplib.SMTPException:
                pass
            self.client = None


def transport_for(settings: MailSettings) -> Transport:
    if settings.smtp_host:
        return SMTPTransport(settings)
    return MaildirTransport(settings.maildir)


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def _expire_claims(database: Database, now: datetime) -> int:
    """Messages whose sender died mid-send: never sent twice, so they wait for an administrator. Read
    first: the write lock is taken only when there is such a message (rarely), not after every request."""
    stale = (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.next_attempt_at < now)
    with database.session() as session:
        if not session.scalar(select(exists().where(stale))):
            return 0
        with writing(session):
            return session.execute(update(OutboxMessage).where(stale).values(
                status=OutboxStatus.DEAD, last_error="interrupted while sending; it may have been delivered")).rowcount


def _claim(database: Database, item_id: int, now: datetime) -> bool:
    with database.session() as session, writing(session):
        return session.execute(update(OutboxMessage).where(
            OutboxMessage.id == item_id, OutboxMessage.status == OutboxStatus.PENDING).values(
            status=OutboxStatus.SENDING, next_attempt_at=now + CLAIM)).rowcount == 1


def _finish(database: Database, item_id: int, **values) -> None:
    with database.session() as session, writing(session):
        session.execute(update(OutboxMessage).where(OutboxMessage.id == item_id).values(**values))


def deliver(database: Database, settings: MailSettings, transport: Transport | None = None,
            now: datetime | None = None, limit: int = BATCH) -> Delivery:
    """Send what is due; safe to run from several processes at once (each message is claimed)."""
    now = now or utcnow()
    result = Delivery(dead=_expire_claims(database, now))
    with database.session() as session:
        due = list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
            .options(joinedload(OutboxMessage.ticket).load_only(Ticket.number))  # for the thread's id
            .order_by(OutboxMessage.id).limit(limit)))
        session.expunge_all()
    if not due:
        return result
    own = transport is None
    transport = transport or transport_for(settings)
    try:
        for item in due:
            claimed = []

            def claim(item_id=item.id):
                if not _claim(database, item_id, now):
                    raise AlreadyClaimed
                claimed.append(True)

            try:
                mail = build(item, settings)
                transport.send(mail, item.recipient, claim)
            except AlreadyClaimed:
                continue
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                if claimed:
                    # DATA was refused or the line dropped during it: not delivered by the server's word.
                    _finish(database, item.id, status=OutboxStatus.PENDING)
                if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)) and own:
                    transport.close()
                _failed(database, settings, item, now, exc, result)
                continue
            _finish(database, item.id, status=OutboxStatus.SENT, sent_at=utcnow(), attempts=item.attempts + 1,
                    last_error=None)
            log.info("mail %d (%s) sent to %s", item.id, item.kind, item.recipient)
            result.sent += 1
    finally:
        if own:
            transport.close()
    return result


def _failed(database, settings, item, now, exc, result) -> None:
    attempts = item.attempts + 1
    error = f"{exc.__class__.__name__}: {exc}"[:2000]
    if attempts >= settings.max_attempts or isinstance(exc, ValueError):
        _finish(database, item.id, status=OutboxStatus.DEAD, attempts=attempts, last_error=error)
        log.error("mail %d (%s) to %s is a dead letter after %d tries: %s", item.id, item.kind, item.recipient,
                  attempts, error)
        result.dead += 1
    else:
        _finish(database, item.id, status=OutboxStatus.PENDING, attempts=attempts, last_error=error,
                next_attempt_at=now + backoff(attempts))
        log.warning("mail %d (%s) to %s failed (try %d, again in %s): %s", item.id, item.kind, item.recipient,
                    attempts, backoff(attempts), error)
        result.failed += 1


def retry(database: Database, item_id: int) -> bool:
    """An administrator sends a dead message again."""
    with database.session() as session, writing(session):
        return session.execute(update(OutboxMessage).where(
            OutboxMessage.id == item_id, OutboxMessage.status == OutboxStatus.DEAD).values(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), last_error=None)).rowcount == 1


def dead_letters(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        items = list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
                                     .order_by(OutboxMessage.id.desc()).limit(200)))
        session.expunge_all()
        return items
