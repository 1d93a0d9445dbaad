"""The ticket form in a real browser: fields the form asks for only when they apply."""
from __future__ import annotations

import pytest

from .test_browser import _fresh_codes, _login, live_server, page  # noqa: F401 (fixtures)


@pytest.mark.parametrize("username, button, label, product, category, application", [
    ("anna", "Svenska", "Rapportens namn och urval", "Aurora Bokföring", "Rapporter", "Bokföring > Rapporter > Huvudbok"),
    ("mikko", "Suomi", "Raportin nimi rajauksineen", "Aurora Kirjanpito", "Raportit", "Kirjanpito > Raportit > Tase"),
])
def test_the_report_field_is_asked_for_when_the_problem_is_with_a_report(page, live_server, username, button, label,
                                                                          product, category, application):
    _login(page, live_server, username, button)
    page.goto(f"{live_server}/tickets/new")
    field = page.get_by_label(label)
    assert not field.is_visible()  # not a reporting problem (yet)
    page.locator("#product").select_option(label=product)
    page.locator("#category").select_option(label=category)
    assert field.is_visible()
    page.locator("#category").select_option(index=0)
    assert not field.is_visible()
    page.locator("#application").fill(application)
    assert field.is_visible()
    field.fill("Huvudbok, period 1–3")
    page.locator("#application").fill("")
    assert field.is_visible()  # what was typed stays in sight
