"""The demo dataset is what the issue promises: realistic, bilingual, with every kind of ticket."""
from __future__ import annotations

from sqlalchemy import func, select

from kb.access import visible_tickets
from kb.dashboard import active_notices
from kb.models import (CatalogueEntry, CatalogueKind, Comment, Licence, Organisation, OrganisationKind, Role,
                       Status, Ticket, User)
from kb.users import authenticate

SOLVED = (Status.RESOLVED, Status.CLOSED)


def count(db, query):
    return db.scalar(select(func.count()).select_from(query.subquery()))


def test_tickets_in_both_languages_across_products(db):
    total = count(db, select(Ticket.id))
    sv = count(db, select(Ticket.id).where(Ticket.language == "sv"))
    fi = count(db, select(Ticket.id).where(Ticket.language == "fi"))
    assert total >= 80 and sv == fi == total // 2
    products = db.scalar(select(func.count(func.distinct(Ticket.product_id))))
    assert products >= 6
    for entry in db.scalars(select(CatalogueEntry)):
        assert entry.label_sv and entry.label_fi


def test_resolved_general_and_open_tickets(db):
    general = count(db, select(Ticket.id).where(Ticket.general.is_(True), Ticket.status.in_(SOLVED)))
    assert general >= 50
    for ticket in db.scalars(select(Ticket).where(Ticket.general.is_(True))):
        assert ticket.solution and ticket.published_problem and ticket.published_solution
        assert ticket.resolved_at and ticket.resolved_at > ticket.created_at
        for person in db.scalars(select(User)):
            assert person.name not in ticket.published_problem + ticket.published_solution
            assert (person.email or "@") not in ticket.published_solution
    assert count(db, select(Ticket.id).where(Ticket.general.is_(False), Ticket.status.in_(SOLVED))) >= 3
    open_with_comments = db.scalar(select(func.count(func.distinct(Ticket.id))).join(Comment).where(
        Ticket.status.not_in(SOLVED)))
    assert open_with_comments >= 5
    assert {t.status for t in db.scalars(select(Ticket))} == set(Status)


def test_numbers_are_unique_and_follow_registration(db):
    tickets = list(db.scalars(select(Ticket).order_by(Ticket.number)))
    assert [t.created_at for t in tickets] == sorted(t.created_at for t in tickets)
    assert len({t.number for t in tickets}) == len(tickets)


def test_organisations_partner_licences_and_notice(db):
    partner = db.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.PARTNER))
    assert len(partner.end_customers) == 2
    assert count(db, select(Licence.id)) >= 10
    assert count(db, select(Organisation.id)) >= 6
    assert any(n.product is not None for n in active_notices(db))
    assert count(db, select(CatalogueEntry.id).where(CatalogueEntry.kind == CatalogueKind.PRODUCT)) >= 6


def test_demo_logins(db):
    expected = {"anna": Role.CUSTOMER, "erik": Role.CUSTOMER_ADMIN, "mikko": Role.CUSTOMER,
                "liisa": Role.CUSTOMER_ADMIN, "partner": Role.PARTNER, "support": Role.SUPPORT,
                "admin": Role.ADMIN}
    for username, role in expected.items():
        user = authenticate(db, username, "demo")
        assert user is not None and user.role == role, username
    assert db.scalar(select(User).where(User.username == "anna")).organisation_id == \
        db.scalar(select(User).where(User.username == "erik")).organisation_id
    assert db.scalar(select(User.language).where(User.username == "mikko")) == "fi"
    assert authenticate(db, "johan", "demo") is None  # contacts without a demo login


def test_visibility_rules_on_demo_data(db):
    anna = db.scalar(select(User).where(User.username == "anna"))
    partner = db.scalar(select(User).where(User.username == "partner"))
    support = db.scalar(select(User).where(User.username == "support"))
    mine = set(db.scalars(visible_tickets(anna)))
    assert mine and all(t.organisation_id == anna.organisation_id for t in mine)
    theirs = list(db.scalars(visible_tickets(partner)))
    assert {t.end_customer.key for t in theirs if t.end_customer} == {"lindgren", "hammarby"}
    assert len(list(db.scalars(visible_tickets(support)))) == count(db, select(Ticket.id))


def test_the_demo_queue_looks_like_a_real_day(app, db):
    """Open tickets are hours to a couple of days old: most within their service-level targets, and
    "customer replied" only where the customer answered support (never on a ticket nobody has answered)."""
    from kb import service_levels
    from kb.models import utcnow

    from .conftest import AuthActions, _client_as

    targets = service_levels.Targets.from_settings({})
    now = utcnow()
    open_tickets = list(db.scalars(select(Ticket).where(Ticket.status.not_in(SOLVED), Ticket.merged_into.is_(None))))
    late = [t.number for t in open_tickets if service_levels.due(t, targets, now).late]
    assert len(open_tickets) >= 10 and len(late) <= len(open_tickets) // 4, late
    unanswered = [t for t in open_tickets if t.first_response_at is None]
    assert unanswered and not any(t.customer_replied for t in unanswered)
    assert any(t.customer_replied for t in open_tickets)
    client = _client_as(app, "support")
    for language, replied, late_word in (("sv", "Kunden har svarat", "försenat"), ("fi", "Asiakas vastasi", "myöhässä")):
        AuthActions(client).post("/language", {"language": language})
        queue = client.get("/support/").get_data(as_text=True)
        assert queue.count(f"<strong>{late_word}</strong>") == len(late)
        rows = {t.number: queue.split(f">{t.number}<", 1)[1].split("</tr>", 1)[0] for t in open_tickets}
        assert all(replied not in rows[t.number] for t in unanswered)
        assert any(replied in row for row in rows.values())
