"""E-mail out over a real SMTP server on loopback (aiosmtpd), and e-mail in, as real RFC 822 messages."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from kb import tickets as workflow
from kb.attachments import AttachmentStore
from kb.db import writing
from kb.mail import delivery
from kb.mail.ingest import ingest
from kb.mail.settings import MailSettings
from kb.models import MailReceipt, OutboxMessage, OutboxStatus, ReplyMethod, Status, Ticket, User, utcnow

from .conftest import csrf_token
from .test_cli import KB, run_kb
from .test_tickets_web import PNG, fresh


class Inbox:
    """An SMTP server's handler keeping what it received, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.on_data = None

    async def handle_DATA(self, server, session, envelope):
        if self.on_data:
            self.on_data()
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def settings(instance, port, **kw) -> MailSettings:
    return MailSettings.from_config({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                                     "SUPPORT_EMAIL": "support@aurora.example", "BASE_URL": "http://portal.example", **kw}, instance)


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def a_ticket(db, organisation_user="mikko", reply=ReplyMethod.EMAIL, subject="Palkanlaskenta ei käynnisty"):
    with writing(db):
        ticket = workflow.create_ticket(db, user(db, organisation_user), subject=subject, product="payroll",
                                        description="Virhe 3301", reply_method=reply)
    return ticket


def test_support_comment_and_solution_reach_the_contact_in_their_language(app, db, instance, smtp):
    s = settings(instance, smtp.port)
    ticket = a_ticket(db)
    db.context.mail = s
    support = user(db, "support")
    with writing(db):
        workflow.add_comment(db, ticket, support, "Tarkistimme **verotaulukon**.")
        workflow.add_comment(db, ticket, support, "Intern: kunden har gammal version", internal=True)
        workflow.propose_solution(db, ticket, support, "Päivitä versioon 2025.2.")
    result = delivery.deliver(app.extensions["kb_database"], s)
    assert result.sent == 2 and result.failed == 0
    assert [m["To"] for m in smtp.messages] == ["mikko.laine@kuljetusvirtanen.example"] * 2
    comment, solution = smtp.messages
    assert comment["Subject"] == f"Uusi kommentti tukipyyntöön #{ticket.number}: Palkanlaskenta ei käynnisty"
    assert solution["Subject"].startswith(f"Ratkaisuehdotus tukipyyntöön #{ticket.number}")
    assert "no-reply@aurora.example" in comment["From"] and comment["Auto-Submitted"] == "auto-generated"
    text = comment.get_body(("plain",)).get_content()
    html = comment.get_body(("html",)).get_content()
    assert "Tarkistimme **verotaulukon**." in text and "<strong>verotaulukon</strong>" in html
    assert f"http://portal.example/tickets/{ticket.number}" in text
    # what kb does with a reply, said once and truly: it reaches support's address and becomes a comment
    assert f"vastaa tähän viestiin ja säilytä #{ticket.number} otsikossa" in text and "ei lueta" not in text
    assert comment["Reply-To"] == "support@aurora.example"
    assert all("gammal version" not in m.as_string() for m in smtp.messages)
    fresh(db)
    ids = [m.id for m in db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                                OutboxMessage.kind != "new_ticket"))]
    assert [m["Message-ID"] for m in smtp.messages] == [f"<outbox-{i}@aurora.example>" for i in ids]
    # A rewritten solution of the resolved ticket is proposed again; the same text is not.
    with writing(db):
        workflow.propose_solution(db, ticket, support, "Päivitä versioon 2025.3.")
    with writing(db):
        workflow.propose_solution(db, ticket, support, "Päivitä versioon 2025.3.")
    assert delivery.deliver(app.extensions["kb_database"], s).sent == 1
    assert "2025.3" in smtp.messages[-1].get_body(("plain",)).get_content()


def test_no_mail_when_the_reply_method_is_none(app, db, instance, smtp):
    s = settings(instance, smtp.port, SUPPORT_EMAIL="")
    ticket = a_ticket(db, "anna", ReplyMethod.NONE)
    db.context.mail = s
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Vi tittar på det.")
        workflow.propose_solution(db, ticket, user(db, "support"), "Klart.")
    delivery.deliver(app.extensions["kb_database"], s)
    assert smtp.messages == []


def test_customer_comments_and_new_tickets_go_to_support_in_swedish(app, db, instance, smtp):
    s = settings(instance, smtp.port)
    db.context.mail = s
    ticket = a_ticket(db, "anna", ReplyMethod.NONE, subject="Lönekörningen stannar")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "anna"), "Det gäller alla anställda.")
    delivery.deliver(app.extensions["kb_database"], s)
    subjects = sorted(m["Subject"] for m in smtp.messages if m["To"] == "support@aurora.example")
    assert subjects == [f"Ny kommentar på ärende #{ticket.number}: Lönekörningen stannar",
                        f"Nytt ärende #{ticket.number}: Lönekörningen stannar"]


def test_crlf_in_a_subject_never_adds_a_header(app, db, instance, smtp):
    s = settings(instance, smtp.port, SUPPORT_EMAIL="")
    ticket = a_ticket(db, subject="Hei\r\nBcc: victim@example.com\r\nX-Evil: 1")
    db.context.mail = s
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "ok")
    delivery.deliver(app.extensions["kb_database"], s)
    (message,) = smtp.messages
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"] and "Bcc: victim@example.com" in message["Subject"]


def test_retries_with_back_off_while_the_server_is_down(app, db, instance):
    port = free_port()  # nothing listens here yet
    s = settings(instance, port, SUPPORT_EMAIL="", MAIL_MAX_ATTEMPTS=3)
    ticket = a_ticket(db)
    db.context.mail = s
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Tarkistamme asian.")
    database = app.extensions["kb_database"]
    now = utcnow()
    assert delivery.deliver(database, s, now=now).failed == 1
    fresh(db)
    item = db.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1) and item.next_attempt_at > now
    assert delivery.deliver(database, s, now=now).failed == 0  # not due yet: nothing tried
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert delivery.deliver(database, s, now=now + timedelta(minutes=2)).sent == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    # A message that keeps failing becomes a dead letter, which an administrator can retry.
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Toinen viesti.")
    later = now + timedelta(hours=1)
    for step in range(3):
        delivery.deliver(database, s, now=later + timedelta(hours=2 * step))
    fresh(db)
    dead = db.scalar(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD))
    assert dead is not None and dead.attempts == 3 and "Connection" in dead.last_error
    assert [m.id for m in delivery.dead_letters(database)] == [dead.id]
    assert delivery.retry(database, dead.id)
    fresh(db)
    assert dead.status == OutboxStatus.PENDING


def test_a_crash_after_sending_does_not_send_twice(app, db, instance, smtp):
    ticket = a_ticket(db)
    db.context.mail = settings(instance, smtp.port, SUPPORT_EMAIL="")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Tarkistamme asian.")
    env = {**os.environ, "KB_INSTANCE": str(instance), "KB_SMTP_HOST": "127.0.0.1", "KB_SMTP_PORT": str(smtp.port)}
    worker = subprocess.Popen([*KB, "worker", "--interval", "0.2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The server takes the message, then the worker dies before it can write down that it was sent.
    smtp.on_data = lambda: os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=60)
    smtp.on_data = None
    time.sleep(0.2)
    assert len(smtp.messages) == 1
    s = settings(instance, smtp.port, SUPPORT_EMAIL="")
    result = delivery.deliver(app.extensions["kb_database"], s, now=utcnow() + timedelta(minutes=10))
    assert result.sent == 0 and len(smtp.messages) == 1
    fresh(db)
    item = db.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    assert item.status == OutboxStatus.DEAD and "interrupted" in item.last_error


def test_the_embedded_default_writes_a_maildir_after_each_request(app, db, instance, support_client):
    from .conftest import csrf_token

    ticket = a_ticket(db)
    page = support_client.get(f"/tickets/{ticket.number}?tab=comment").get_data(as_text=True)
    response = support_client.post(f"/tickets/{ticket.number}/comments",
                                   data={"csrf_token": csrf_token(page), "body": "Hei Mikko!"})
    response.close()  # as the server does once the response is sent: this sends the outbox
    files = list((instance / "maildir" / "new").iterdir())
    messages = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert any(m["To"] == "mikko.laine@kuljetusvirtanen.example" and "Hei Mikko!" in m.as_string()
               for m in messages)


# -- mail in ---------------------------------------------------------------------------------------

def message(sender, subject, body, attachments=(), **headers) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "tuki@aurora.example", subject
    for key, value in headers.items():
        mail[key.replace("_", "-")] = value
    mail.set_content(body)
    for name, data, maintype, subtype in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def test_a_mail_from_a_user_becomes_a_ticket_with_attachments(app, db, instance):
    store = AttachmentStore(instance / "attachments")
    raw = message("Mikko Läine <Mikko.Laine@kuljetusvirtanen.example>", "KIIREELLINEN: Palkanlaskenta ei käynnisty",
                  "Hei,\n\npalkanlaskenta pysähtyy virheeseen 3301.\n\nMikko",
                  [("näyttökuva.png", PNG, "image/png".split("/")[0], "png"),
                   ("skripti.html", b"<script>", "text", "html")])
    result = ingest(db, raw, store, None)
    assert result.action == "created" and result.skipped_files == ["skripti.html"]
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == result.number))
    assert ticket.subject == "KIIREELLINEN: Palkanlaskenta ei käynnisty" and ticket.urgent
    assert ticket.registered_by.username == "mikko" and ticket.language == "fi"
    assert "virheeseen 3301" in ticket.description
    assert [a.filename for a in ticket.attachments] == ["näyttökuva.png"]
    assert ticket.status == Status.NEW and ticket.events[0].kind == "created"


def test_a_reply_with_a_ticket_number_becomes_a_comment_only_on_own_tickets(app, db, instance):
    store = AttachmentStore(instance / "attachments")
    own = a_ticket(db, "mikko")
    foreign = a_ticket(db, "anna", subject="Annas ärende")
    result = ingest(db, message("mikko.laine@kuljetusvirtanen.example", f"VS: Tukipyyntö #{own.number}",
                                "Lisätietoa: virhe toistuu."), store, None)
    assert (result.action, result.number) == ("commented", own.number)
    fresh(db)
    assert own.comments[-1].body == "Lisätietoa: virhe toistuu." and own.comments[-1].author.username == "mikko"
    other = ingest(db, message("mikko.laine@kuljetusvirtanen.example", f"Re: ärende #{foreign.number}",
                               "Kurkistus"), store, None)
    assert other.action == "created" and other.number != foreign.number
    fresh(db)
    assert all(c.body != "Kurkistus" for c in foreign.comments)


def test_an_unknown_sender_gets_told_and_nothing_is_created(app, db, instance):
    store = AttachmentStore(instance / "attachments")
    before = db.scalar(select(Ticket.number).order_by(Ticket.number.desc()).limit(1))
    result = ingest(db, message("stranger@example.com", "Brådskande!", "Hjälp"), store, None)
    assert result.action == "unknown_sender"
    fresh(db)
    assert db.scalar(select(Ticket.number).order_by(Ticket.number.desc()).limit(1)) == before
    reply = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "stranger@example.com"))
    assert "HelpDesk-inloggning" in reply.body_text and "HelpDesk-tunnukset" in reply.body_text  # both languages
    assert ingest(db, message("mikko.laine@kuljetusvirtanen.example", "Automaattinen vastaus", "Poissa",
                              Auto_Submitted="auto-replied"), store, None).action == "ignored"


def test_the_same_message_read_twice_makes_one_ticket(app, db, instance, runner, tmp_path):
    store = AttachmentStore(instance / "attachments")
    raw = message("mikko.laine@kuljetusvirtanen.example", "Palkka-ajo pysähtyy", "Virhe 3301.",
                  Message_ID="<abc.123@kuljetusvirtanen.example>")
    first = ingest(db, raw, store, None)
    again = ingest(db, raw, store, None)  # a maildir read twice
    assert first.action == "created" and (again.action, again.number) == ("duplicate", first.number)
    # An SMTP retry: the same Message-ID, other bytes (another Received header, other line ends).
    retried = ingest(db, b"Received: from relay2\r\n" + raw.replace(b"\n", b"\r\n"), store, None)
    assert (retried.action, retried.number) == ("duplicate", first.number)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Ticket).where(Ticket.subject == "Palkka-ajo pysähtyy")) == 1
    # Without a Message-ID, the same bytes are the same message.
    bare = message("mikko.laine@kuljetusvirtanen.example", "Toinen viesti", "Tekstiä.")
    assert ingest(db, bare, store, None).action == "created" and ingest(db, bare, store, None).action == "duplicate"
    path = tmp_path / "mail.eml"
    path.write_bytes(message("mikko.laine@kuljetusvirtanen.example", "Kolmas", "x", Message_ID="<c@x.example>"))
    assert runner.invoke("mail", "ingest", str(path)).output.startswith("created")
    assert runner.invoke("mail", "ingest", str(path)).output.startswith("duplicate")


AUTH = "mx.aurora.example; spf={spf} smtp.mailfrom=kuljetusvirtanen.example; dkim={dkim} " \
       "header.d=kuljetusvirtanen.example; dmarc={dmarc} header.from=kuljetusvirtanen.example"


@pytest.mark.parametrize("results,authenticated", [
    (dict(spf="pass", dkim="pass", dmarc="pass"), True), (dict(spf="fail", dkim="none", dmarc="fail"), False),
])
def test_the_receiving_servers_verdict_is_recorded_and_can_be_required(app, db, instance, results, authenticated):
    store = AttachmentStore(instance / "attachments")
    settings = MailSettings(base_url="http://x", require_authenticated=True, authserv_id="mx.aurora.example")
    raw = message("mikko.laine@kuljetusvirtanen.example", "Palkka-ajo pysähtyy", "Virhe 3301.",
                  Authentication_Results=AUTH.format(**results))
    result = ingest(db, raw, store, settings)
    assert result.action == ("created" if authenticated else "unknown_sender")
    fresh(db)
    receipt = db.scalar(select(MailReceipt))
    assert receipt.authentication == "dkim={dkim} dmarc={dmarc} spf={spf}".format(**results)
    if authenticated:
        ticket = db.scalar(select(Ticket).where(Ticket.number == result.number))
        assert [(e.kind, e.new_value, e.internal) for e in ticket.events if e.kind == "mail_received"] == [
            ("mail_received", "dkim=pass dmarc=pass spf=pass", True)]


def test_a_verdict_written_by_the_sender_is_not_trusted(app, db, instance):
    store = AttachmentStore(instance / "attachments")
    settings = MailSettings(base_url="http://x", require_authenticated=True, authserv_id="mx.aurora.example")
    forged = message("mikko.laine@kuljetusvirtanen.example", "Väärennös", "x",
                     Authentication_Results="mx.evil.example; dmarc=pass header.from=kuljetusvirtanen.example")
    assert ingest(db, forged, store, settings).action == "unknown_sender"
    unauthenticated = message("mikko.laine@kuljetusvirtanen.example", "Ilman otsaketta", "x")
    assert ingest(db, unauthenticated, store, settings).action == "unknown_sender"
    other = message("mikko.laine@kuljetusvirtanen.example", "Ilman otsaketta, oletusasetuksin", "x")
    assert ingest(db, other, store, None).action == "created"  # by default the From address is trusted


def test_a_huge_or_nul_holding_mail_is_kept_whole_as_a_file(app, db, instance):
    store = AttachmentStore(instance / "attachments")
    text = "Rivi\x00 " + "palkka-ajo pysähtyy " * 8_000  # 160 000 characters
    result = ingest(db, message("mikko.laine@kuljetusvirtanen.example", "Pitkä viesti", text), store, None)
    assert result.action == "created"
    fresh(db)
    ticket = db.scalar(select(Ticket).where(Ticket.number == result.number))
    assert len(ticket.description) <= 100_000 and "\x00" not in ticket.description
    assert "message.txt" in ticket.description and [a.filename for a in ticket.attachments] == ["message.txt"]


def test_kb_mail_serve_takes_mail_over_smtp(instance, db):
    import smtplib

    port = free_port()
    env = {**os.environ, "KB_INSTANCE": str(instance)}
    server = subprocess.Popen([*KB, "mail", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        client.sendmail("anna.lindberg@ekholmsbygg.example", ["support@aurora.example"],
                        message("Anna Lindberg <anna.lindberg@ekholmsbygg.example>", "Brådskande: momsrapporten",
                                "Momsrapporten är tom."))
        client.quit()
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert "created" in out, err
    fresh(db)
    ticket = db.scalar(select(Ticket).order_by(Ticket.number.desc()).limit(1))
    assert ticket.subject == "Brådskande: momsrapporten" and ticket.urgent and ticket.registered_by.username == "anna"


def test_kb_mail_ingest_reads_a_file_and_stdin(instance, tmp_path, db):
    path = tmp_path / "m.eml"
    path.write_bytes(message("liisa.virtanen@kuljetusvirtanen.example", "Tilinpäätös", "Kysymys"))
    result = run_kb("mail", "ingest", str(path), instance=instance)
    assert result.returncode == 0 and result.stdout.startswith("created"), result.stderr
    result = run_kb("mail", "ingest", "-", instance=instance, input=message("x@example.com", "Hi", "Hello").decode())
    assert result.stdout.strip() == "unknown_sender"
    result = run_kb("mail", "ingest", str(tmp_path / "missing.eml"), instance=instance)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


def test_kb_mail_ingest_reads_a_maildir_and_skips_empty_messages(instance, tmp_path, db):
    import mailbox

    box = mailbox.Maildir(str(tmp_path / "in"), create=True)
    box.add(message("liisa.virtanen@kuljetusvirtanen.example", "", ""))  # nothing to register
    box.add(message("liisa.virtanen@kuljetusvirtanen.example", "", "Raportti ei tulostu.\nToinen rivi."))
    result = run_kb("mail", "ingest", "--maildir", str(tmp_path / "in"), instance=instance)
    assert result.returncode == 0, result.stderr
    assert "Read 2 messages." in result.stdout and "ignored" in result.stderr and "created" in result.stderr
    assert not list(box.keys())
    fresh(db)
    assert db.scalar(select(Ticket).order_by(Ticket.number.desc()).limit(1)).subject == "Raportti ei tulostu."


def test_several_workers_on_several_nodes_send_each_message_exactly_once(app, db, instance, database_url, smtp):
    """Four `kb worker`s, each with its own connections as on its own node, race for one outbox: each
    message is claimed by one of them (a compare-and-set of its status; on PostgreSQL the loser's update
    waits for the winner's commit and then matches nothing)."""
    from kb.db import Database

    ticket = a_ticket(db)
    db.context.mail = settings(instance, smtp.port, SUPPORT_EMAIL="")
    for n in range(30):
        with writing(db):
            workflow.add_comment(db, ticket, user(db, "support"), f"Viesti {n}.")
    queued = db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING))
    assert queued == 30
    s = settings(instance, smtp.port, SUPPORT_EMAIL="")
    nodes = [Database(database_url) for _ in range(4)]
    results, start = [], threading.Barrier(len(nodes))

    def work(database):
        start.wait()
        results.append(delivery.deliver(database, s))

    threads = [threading.Thread(target=work, args=(database,)) for database in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in nodes:
        database.dispose()
    assert sum(r.sent for r in results) == 30 and not any(r.failed or r.dead for r in results)
    bodies = sorted(m.get_body(("plain",)).get_content() for m in smtp.messages)
    assert len(bodies) == 30 == len({b for b in bodies})
    fresh(db)
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)) == 30


def test_every_new_ticket_sends_its_contact_a_receipt_in_their_language(app, db, instance, customer_client,
                                                                          finnish_client):
    page = customer_client.get("/tickets/new").get_data(as_text=True)
    payroll = re.search(r'<option value="(\d+)"[^>]*>Aurora Lön', page).group(1)
    customer_client.post("/tickets/new", data={"csrf_token": csrf_token(page), "subject": "Kvitto, tack",
                                               "description": "Lönen stannar.", "product": payroll,
                                               "language": "sv"})
    receipt = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "receipt",
                                                    OutboxMessage.recipient == "anna.lindberg@ekholmsbygg.example"))
    assert receipt is not None and receipt.subject.startswith("Ärende #") and "mottaget: Kvitto, tack" in receipt.subject
    assert "Vi har tagit emot ditt ärende" in receipt.body_text and "/tickets/" in receipt.body_text
    # by e-mail, from a Finnish user: the receipt in Finnish; "kiireellinen": high priority, URGENT for support
    db.context.mail = settings(instance, 25)
    result = ingest(db, message("Mikko Laine <mikko.laine@kuljetusvirtanen.example>", "Kiireellinen: palkat",
                                "Palkka-ajo kaatuu."), AttachmentStore(instance / "attachments"), settings(instance, 25))
    db.commit()
    ticket = db.scalar(select(Ticket).where(Ticket.number == result.number))
    assert ticket.urgent and ticket.priority.value == "high"
    mails = {m.kind: m for m in db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))}
    assert mails["receipt"].subject.startswith("Tukipyyntö #") and "vastaanotettu" in mails["receipt"].subject
    assert mails["new_ticket"].subject.startswith("KIIREELLINEN: Uusi tukipyyntö #")


def test_a_tickets_mails_carry_one_thread_for_mail_clients(app, db, instance, smtp):
    ticket = a_ticket(db)
    db.context.mail = settings(instance, smtp.port, SUPPORT_EMAIL="")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Tarkistamme asian.")
    with writing(db):
        workflow.propose_solution(db, ticket, user(db, "support"), "Aja palkat uudelleen.")
    delivery.deliver(app.extensions["kb_database"], settings(instance, smtp.port, SUPPORT_EMAIL=""))
    assert len(smtp.messages) >= 2
    roots = {m["References"] for m in smtp.messages}
    assert roots == {f"<ticket-{ticket.number}@aurora.example>"}
    assert {m["In-Reply-To"] for m in smtp.messages} == roots
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages)  # each its own


def test_billable_work_asks_the_customer_by_mail_and_tells_support_the_answer(app, db, instance, finnish_client):
    ticket = a_ticket(db)  # mikko's, reply by e-mail
    db.context.mail = settings(instance, 25)
    with writing(db):
        proposal = workflow.propose_work(db, ticket, user(db, "timo"), "Palkkalajien tuonti", "2,5")
    asked = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "work_proposed"))
    assert asked.recipient == "mikko.laine@kuljetusvirtanen.example" and asked.language == "fi"
    assert "arviolta 2,5 tuntia" in asked.body_text and "Palkkalajien tuonti" in asked.body_text
    home = finnish_client.get("/").get_data(as_text=True)
    assert "Vahvistustasi odottava laskutettava työ" in home and f"#work-{proposal.id}" in home
    with writing(db):
        workflow.decide_work(db, proposal, user(db, "mikko"), True, "Sopii, aloittakaa.")
    told = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "work_confirmed"))
    assert told.recipient == "support@aurora.example"
    assert "Mikko Laine" in told.body_text and "vahvisti" in told.body_text and "Sopii, aloittakaa." in told.body_text
    assert "Vahvistustasi odottava" not in finnish_client.get("/").get_data(as_text=True)


def test_a_user_turns_off_the_mail_the_manuals_do_not_require(app, db, instance, customer_client):
    page = customer_client.get("/auth/profile").get_data(as_text=True)
    assert "Ett kvitto för varje nytt ärende" in page and 'value="receipt" checked' in page
    customer_client.post("/auth/profile/mail", data={"csrf_token": csrf_token(page), "mail": ["grant_requested"]})
    assert 'value="receipt" checked' not in customer_client.get("/auth/profile").get_data(as_text=True)
    db.context.mail = settings(instance, 25)
    anna = user(db, "anna")
    fresh(db)
    with writing(db):
        ticket = workflow.create_ticket(db, anna, subject="Utan kvitto", description="x", product="payroll")
    with writing(db):
        workflow.add_comment(db, ticket, user(db, "support"), "Vi tittar.")  # required: still sent
    kinds = {m.kind for m in db.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                                    OutboxMessage.recipient == anna.email))}
    assert kinds == {"comment"}


def test_the_product_named_in_a_mails_subject_classifies_the_ticket(app, db, instance):
    store = AttachmentStore(instance / "attachments")

    def product_of(subject):
        result = ingest(db, message("mikko.laine@kuljetusvirtanen.example", subject, "Virhe 3301."), store, None)
        fresh(db)
        ticket = db.scalar(select(Ticket).where(Ticket.number == result.number))
        return ticket.product.code if ticket.product else None

    assert product_of("Palkanlaskenta: ajo kaatuu") == "payroll"  # the label without the vendor's name
    assert product_of("Aurora Lön stannar") == "payroll"  # the Swedish label, whole
    assert product_of("VS: laskutus ei lähde") == "invoicing"  # any case
    assert product_of("Palkanlaskennan ajo kaatuu") is None  # not a name of it: left for support to classify
    assert product_of("Laskutus ja kirjanpito eivät täsmää") is None  # two products: left for support


def test_support_is_told_of_an_emailed_comment(app, db, instance):
    own = a_ticket(db, "mikko")
    mail = settings(instance, 25)
    db.context.mail = mail
    result = ingest(db, message("mikko.laine@kuljetusvirtanen.example", f"VS: Tukipyyntö #{own.number}",
                                "Virhe toistuu edelleen."), AttachmentStore(instance / "attachments"), mail)
    assert result.action == "commented"
    told = db.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == own.id,
                                                 OutboxMessage.kind == "customer_comment"))
    assert told is not None and told.recipient == "support@aurora.example" and "Virhe toistuu" in told.body_text
