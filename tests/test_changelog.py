"""Every change to a ticket writes a change-log event (and, when published, an index-queue row)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.db import writing
from kb.errors import ValidationError
from kb.models import IndexQueueEntry, Priority, Status, TicketEvent, User
from kb import tickets as workflow

from .conftest import csrf_token


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


@pytest.fixture
def ticket(db):
    with writing(db):
        return workflow.create_ticket(db, user(db, "anna"), subject="Lönekörningen stannar", product="payroll",
                                      description="Det *hänger*.")


def events(db, ticket):
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def queue(db, ticket):
    return list(db.scalars(select(IndexQueueEntry).where(IndexQueueEntry.ticket_number == ticket.number)))


def test_creation_is_logged_with_defaults(db, ticket):
    [created] = events(db, ticket)
    assert created.kind == "created" and created.actor.username == "anna"
    assert ticket.priority == Priority.NORMAL and ticket.ticket_type.code == "support"
    assert ticket.reply_method.value == "email" and ticket.status == Status.NEW
    assert ticket.created_at.tzinfo is not None


def test_field_changes_status_and_comments_are_logged(db, ticket):
    support = user(db, "support")
    with writing(db):
        workflow.set_status(db, ticket, support, Status.IN_PROGRESS)
    with writing(db):
        workflow.add_comment(db, ticket, support, "Vilken version kör ni?")
        workflow.add_comment(db, ticket, support, "Kunden kör 2024.1", internal=True)
    with writing(db):
        workflow.acting(db, user(db, "anna"))
        ticket.priority = Priority.HIGH
        ticket.product = ticket.product  # unchanged: no event
    log = [(e.kind, e.field, e.old_value, e.new_value, e.internal, e.actor.username) for e in events(db, ticket)]
    assert log[1:] == [
        ("changed", "status", "new", "in_progress", False, "support"),
        ("commented", None, None, None, False, "support"),
        ("commented", None, None, None, True, "support"),
        ("changed", "priority", "normal", "high", False, "anna"),
    ]


def test_rolled_back_change_leaves_no_event(db, ticket):
    count = db.scalar(select(func.count(TicketEvent.id)))
    with pytest.raises(RuntimeError):
        with writing(db):
            workflow.set_status(db, ticket, user(db, "support"), Status.WAITING)
            raise RuntimeError("crash before commit")
    assert db.scalar(select(func.count(TicketEvent.id))) == count
    db.refresh(ticket)
    assert ticket.status == Status.NEW


def test_solution_and_publishing_queue_the_index(db, ticket):
    support = user(db, "support")
    created = len(queue(db, ticket))
    assert created == 1  # a new ticket: the desk index holds every ticket
    with pytest.raises(ValidationError):
        with writing(db):
            workflow.set_general(db, ticket, support, True)  # not resolved yet
    assert len(queue(db, ticket)) == created  # refused: nothing queued
    with writing(db):
        workflow.propose_solution(db, ticket, support, "Uppgradera till 2025.1.")
    assert ticket.status == Status.RESOLVED and ticket.resolved_at is not None
    assert len(queue(db, ticket)) == created + 1
    with writing(db):
        workflow.set_general(db, ticket, support, True, "Lönekörningen stannar", "Uppgradera.")
    assert ticket.general and ticket.general_by.username == "support" and ticket.general_at
    assert len(queue(db, ticket)) == created + 2
    with writing(db):
        workflow.set_status(db, ticket, support, Status.REOPENED)  # leaves the experience database
    with writing(db):
        workflow.set_general(db, ticket, support, False)
    assert len(queue(db, ticket)) == created + 4
    with writing(db):
        db.delete(ticket)
    assert len(queue(db, ticket)) == created + 5  # the drain removes the documents of a ticket that is gone
    kinds = [(e.field, e.new_value) for e in db.scalars(select(TicketEvent).where(TicketEvent.field == "general"))]
    assert ("general", "true") in kinds


def test_any_change_to_a_ticket_or_its_comments_queues_it(db, ticket):
    """No list of the documents' fields decides: a field a document gains later is never missed."""
    support = user(db, "support")
    before = len(queue(db, ticket))
    with writing(db):
        ticket.application = "Lön > Export"  # in no document today
    assert len(queue(db, ticket)) == before + 1
    with writing(db):
        workflow.add_comment(db, ticket, support, "Intern anteckning", internal=True)
    assert len(queue(db, ticket)) == before + 2
    with writing(db):
        workflow.propose_solution(db, ticket, support, "Uppgradera.")
        workflow.set_general(db, ticket, support, True, "Exporten stannar", "Uppgradera.")
    before = len(queue(db, ticket))
    for field, value in (("application", "Lön > Bankfil"), ("error_message", "Fel 7001"), ("priority", Priority.HIGH)):
        with writing(db):
            setattr(ticket, field, value)
    assert len(queue(db, ticket)) == before + 3
    with writing(db):
        workflow.add_comment(db, ticket, support, "En kommentar ändrar skrivbordsindexets dokument.")
    assert len(queue(db, ticket)) == before + 4


def test_customers_cannot_publish_and_bad_input_is_refused(db, ticket):
    anna = user(db, "anna")
    with pytest.raises(ValidationError) as err:
        workflow.set_general(db, ticket, anna, True)
    assert "general" in err.value.errors
    with pytest.raises(ValidationError) as err:
        workflow.create_ticket(db, anna, subject="  ", product="nonexistent", category="x")
    assert set(err.value.errors) >= {"subject", "product"}
    with pytest.raises(ValidationError) as err:
        workflow.create_ticket(db, anna, subject="ok", product="payroll", version="no-such-version")
    assert "version" in err.value.errors
    with pytest.raises(ValidationError) as err:
        workflow.create_ticket(db, anna, subject="ok", contact=user(db, "mikko"))
    assert "contact" in err.value.errors
    db.rollback()


SCRIPT = r"""
import sys
from sqlalchemy import func, select
from kb.db import Database, WriteContext, writing
from kb.mail.settings import MailSettings
from kb.models import Comment, IndexQueueEntry, OutboxMessage, Ticket, TicketEvent, User

db = Database(sys.argv[1])
mail = MailSettings(base_url="https://support.example", support_address="support@example.test")
with db.session(WriteContext(mail=mail)) as s:
    anna = s.scalar(select(User).where(User.username == "anna"))
    ticket = s.scalar(select(Ticket).where(Ticket.is_published).order_by(Ticket.id))
    s.context.actor_id = anna.id
    with writing(s):
        ticket.subject = "Changed by a script"
        s.add(Comment(ticket=ticket, author=anna, body="From a script"))
    events = s.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.actor_id == anna.id))
    queued = s.scalar(select(func.count()).select_from(IndexQueueEntry).where(
        IndexQueueEntry.ticket_number == ticket.number))
    mails = s.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.recipient == "support@example.test"))
print(events, queued, mails, "kb.changelog" in sys.modules)
"""


def test_a_script_that_imports_only_the_models_writes_the_change_log_index_queue_and_mail(database_url):
    """The listeners belong to kb's session factory, not to an import: a script using `Database` and the
    models alone gets the change log, the index queue and the outbox, with the actor of its write context."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", SCRIPT, database_url],
                         capture_output=True, text=True, check=True).stdout.split()
    events, queued, mails, _imported = out
    assert int(events) == 2  # the subject change and the comment, credited to anna
    assert int(queued) >= 1
    assert int(mails) == 1


def test_support_corrections_log_before_and_after_the_first_product_and_a_cleared_field(db, support_client):
    """A ticket that came by e-mail has no product; support sets one, then changes and clears fields: each
    change shows the value before and after, read back through the correction route in a fresh request."""
    with writing(db):
        ticket = workflow.create_ticket(db, user(db, "anna"), require_product=False, subject="Via e-post",
                                        description="Kom med e-post.")
    number = ticket.number

    def correct(**form):
        page = support_client.get(f"/support/tickets/{number}").get_data(as_text=True)
        reply = support_client.post(f"/support/tickets/{number}/correct", data={"csrf_token": csrf_token(page), **form})
        assert reply.status_code == 302, reply.get_data(as_text=True)[:500]

    correct(product="payroll", priority="high", category="vacation", ticket_type="support")
    correct(product="invoicing", priority="normal", category="", ticket_type="support")
    correct(product="", priority="normal", ticket_type="support")
    db.expire_all()
    changed = [(e.field, e.old_value, e.new_value) for e in events(db, ticket) if e.kind == "changed"]
    assert changed == [("product", None, "payroll"), ("category", None, "vacation"), ("priority", "normal", "high"),
                       ("product", "payroll", "invoicing"), ("category", "vacation", None),
                       ("priority", "high", "normal"), ("product", "invoicing", None)]


def test_a_change_to_a_value_never_read_or_expired_by_a_commit_shows_the_value_before(db, ticket):
    support = user(db, "support")
    with writing(db):
        db.expire(ticket)  # nothing of it loaded: relations and columns are set blind
        workflow.acting(db, support)
        ticket.priority = Priority.HIGH
        ticket.product = None
        ticket.subject = "Lönekörningen stannar vid månadsskiftet"
    changed = [(e.field, e.old_value, e.new_value) for e in events(db, ticket) if e.kind == "changed"]
    assert sorted(changed) == [("priority", "normal", "high"), ("product", "payroll", None),
                               ("subject", "Lönekörningen stannar", "Lönekörningen stannar vid månadsskiftet")]
