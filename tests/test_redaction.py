"""Personal data found in texts about to be published: what must be found, and what must not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.models import Ticket
from kb.redaction import find


@pytest.fixture
def ticket(db):
    return db.scalar(select(Ticket).join(Ticket.organisation).where(Ticket.organisation.has(key="ekholm")))


@pytest.mark.parametrize("text,kind", [
    ("ring 070-123 45 67", "phone"), ("soita +358 40 123 4567", "phone"), ("tel. 08-555 123 40", "phone"),
    ("050 765 4321", "phone"), ("pnr 19800101-1234", "personal_id"), ("hetu 010180-123A", "personal_id"),
    ("samordningsnr 800161-1234", "personal_id"), ("org.nr 556677-8899", "company_number"),
    ("Y-tunnus 1234567-8", "company_number"), ("mejla kalle.nilsson+lon@foretag.se", "email"),
    ("Erik Ekholm skrev", "name"), ("användaren EEKHOLM", "username"), ("anna.lindberg loggade in", "name"),
])
def test_found(ticket, text, kind):
    assert kind in {f.kind for f in find(text, ticket)}, find(text, ticket)


@pytest.mark.parametrize("text", [
    "Uppdatera till version 2024.1.3", "Fel 4012: Perioden är låst", "Beloppet 12 500,00 kr bokfördes 2026-11-23",
    "Konto 2641 och 1930", "Päivitä versioon 2025.2 (build 20250212)", "OCR 1234567890 matchas inte",
    "Virhe 3301 ja ALV 25,5 %", "Tilinpäätös 31.12.2025",
])
def test_not_found(ticket, text):
    assert find(text, ticket) == []
