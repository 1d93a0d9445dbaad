"""Service levels: due times per priority, breaches in the queue and on the ticket, the queue by what is due
first, and resolved tickets closed after the reopen window."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kb import service_levels
from kb import tickets as workflow
from kb.db import writing
from kb.errors import KbError
from kb.models import Priority, Status, Ticket, TicketEvent, User, utcnow

from .conftest import csrf_token
from .test_cli import run_kb
from .test_tickets_web import fresh


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def ticket_at(db, hours_ago: float, priority=Priority.NORMAL, subject="Servicenivå"):
    with writing(db):
        ticket = workflow.create_ticket(db, user(db, "anna"), product="payroll", subject=subject,
                                        description="Fel.", priority=priority)
        ticket.created_at = utcnow() - timedelta(hours=hours_ago)
    return ticket


def test_targets_are_read_per_priority_and_a_bad_setting_is_one_clear_error():
    targets = service_levels.parse("critical=1,high=4,normal=8,low=24", "SLA_FIRST_RESPONSE_HOURS")
    assert targets[Priority.HIGH] == timedelta(hours=4)
    for bad in ("critical=1,high=4,normal=8", "critical=x,high=4,normal=8,low=24", "critical=0,high=4,normal=8,low=24"):
        with pytest.raises(KbError) as error:
            service_levels.parse(bad, "SLA_FIRST_RESPONSE_HOURS")
        assert "SLA_FIRST_RESPONSE_HOURS" in str(error.value)


def test_the_queue_shows_what_is_due_and_late_and_sorts_by_it(db, support_client):
    late = ticket_at(db, 10, subject="Sen normal")  # normal: first response within 8 h, late by 2
    soon = ticket_at(db, 0.5, Priority.HIGH, subject="Snart hög")  # high: within 4 h
    later = ticket_at(db, 0.5, Priority.LOW, subject="Senare låg")  # low: within 24 h
    queue = support_client.get("/support/?sort=due").get_data(as_text=True)
    rows = {n: queue.split(f">{n}<", 1)[1].split("</tr>", 1)[0] for n in (late.number, soon.number, later.number)}
    assert "försenat" in rows[late.number] and "första svar" in rows[late.number]
    assert "försenat" not in rows[soon.number]
    assert queue.index(f">{late.number}<") < queue.index(f">{soon.number}<") < queue.index(f">{later.number}<")
    with writing(db):  # answered: the first response is met (late), the solution is what is due now
        workflow.add_comment(db, late, user(db, "support"), "Vi tittar på det.")
    page = support_client.get(f"/tickets/{late.number}").get_data(as_text=True)
    assert re.search(r"Första svar senast [^<]+ · besvarat [^<]+ · <strong class=\"late\">försenat</strong>", page)
    assert "Lösning senast" in page
    row = support_client.get("/support/?sort=due").get_data(as_text=True).split(f">{late.number}<", 1)[1].split("</tr>", 1)[0]
    assert "lösning" in row and "försenat" not in row  # the solution is due in 72 h


def test_the_worker_closes_tickets_resolved_after_the_reopen_window(app, db, instance):
    old = ticket_at(db, 24 * 30, subject="Gammal lösning")
    recent = ticket_at(db, 24 * 3, subject="Ny lösning")
    with writing(db):
        for ticket, days in ((old, 20), (recent, 2)):
            workflow.propose_solution(db, ticket, user(db, "support"), "Så här.")
            ticket.resolved_at = utcnow() - timedelta(days=days)
    result = run_kb("worker", "--once", instance=instance, KB_CLOSE_RESOLVED_DAYS="1")  # the window (14) wins
    assert result.returncode == 0, result.stderr
    assert re.search(r"\d+ resolved tickets closed", result.stdout)  # the demo data's old ones too
    fresh(db)
    assert old.status == Status.CLOSED and recent.status == Status.RESOLVED
    closed = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == old.id, TicketEvent.field == "status",
                                                 TicketEvent.new_value == "closed"))
    assert closed is not None and closed.actor_id is None  # in the change log, done by the portal
