"""Accessibility in a real browser: axe-core on the main pages, the keyboard, a phone's screen."""
from __future__ import annotations

import pytest

from .test_browser import _fresh_codes, _login, live_server, page  # noqa: F401 (fixtures)

SERIOUS = ("serious", "critical")


def _axe_problems(page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line each (rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in violations if v["impact"] in SERIOUS]


def _first_ticket(page, live_server) -> str:
    page.goto(f"{live_server}/tickets/")
    return page.locator("table a[href^='/tickets/']").first.get_attribute("href")


@pytest.mark.parametrize("customer, staff, language, query", [("anna", "support", "Svenska", "perioden är låst"),
                                                              ("liisa", "support", "Suomi", "kausi on lukittu")])
def test_the_main_pages_have_no_serious_axe_violations(app, page, live_server, customer, staff, language, query):
    app.extensions["kb_index"].rebuild(app.extensions["kb_database"])
    problems = []
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("button", name=language).first.click()
    problems += _axe_problems(page)
    page.goto(f"{live_server}/remote-support")
    problems += _axe_problems(page)
    _login(page, live_server, customer, language)
    ticket = _first_ticket(page, live_server)
    for path in [f"/experience/?q={query}", "/experience/?q=qzxwvkjh", "/tickets/new", f"{ticket}?tab=log",
                 "/tickets/", "/auth/profile"]:
        page.goto(f"{live_server}{path}")
        problems += _axe_problems(page)
    page.context.clear_cookies()
    _login(page, live_server, staff, language)
    for path in ["/support/", _first_ticket(page, live_server)]:
        page.goto(f"{live_server}{path}")
        problems += _axe_problems(page)
    assert not problems, "\n".join(problems)


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server):
    _login(page, live_server, "anna", "Svenska")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skiplink"
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


def test_a_refused_ticket_form_puts_focus_on_the_first_refused_field(page, live_server):
    _login(page, live_server, "liisa", "Suomi")
    page.goto(f"{live_server}/tickets/new")
    page.locator("form[action='/tickets/new'] button[type=submit]").last.click()
    page.wait_for_load_state()
    focused = page.evaluate("[document.activeElement.getAttribute('aria-invalid'), "
                            "document.activeElement.getAttribute('aria-describedby')]")
    assert focused[0] == "true"
    first = page.locator("main [aria-invalid=true]").first
    assert page.evaluate("document.activeElement.id") == first.get_attribute("id")
    assert page.locator(f"#{focused[1]}").inner_text()  # its message, read out with it


@pytest.mark.parametrize("username, language, heading", [("anna", "Svenska", "Erfarenhetsdatabas"),
                                                         ("liisa", "Suomi", "Kokemustietokanta")])
def test_on_a_phone_the_header_is_compact_headings_keep_whole_words_and_the_change_log_fits(
        page, live_server, username, language, heading):
    page.set_viewport_size({"width": 375, "height": 667})
    _login(page, live_server, username, language)
    page.goto(f"{live_server}/experience/")
    assert heading in page.locator("h1").inner_text()
    assert page.locator("header.topbar").bounding_box()["height"] <= 0.2 * 667
    # A word that does not fit would stick out of the heading's box (or be cut by overflow-wrap in mid-word).
    assert page.evaluate("""() => { const h = document.querySelector('h1'); const words = h.innerText.split(/\\s+/);
        const probe = document.createElement('span'); probe.style.whiteSpace = 'nowrap'; h.appendChild(probe);
        const width = w => { probe.textContent = w; return probe.getBoundingClientRect().width; };
        const widest = Math.max(...words.map(width));
        probe.remove(); return widest <= h.clientWidth && h.scrollWidth <= h.clientWidth; }""")
    page.goto(f"{live_server}{_first_ticket(page, live_server)}?tab=log")
    assert page.locator("table.log tbody tr").count()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize("language, title, phone", [("Svenska", "Fjärrsupport", "Ring supporten: 010 123 4500"),
                                                    ("Suomi", "Etätuki", "Soita asiakaspalveluun: 010 123 4500")])
def test_the_remote_support_page_is_public_with_a_download_and_the_phone(page, live_server, language, title, phone):
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("button", name=language).first.click()
    page.locator("main").get_by_role("link", name=title).click()
    page.wait_for_url(f"{live_server}/remote-support")
    assert page.locator("h1").inner_text() == title
    assert phone in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.locator("main a[href$='/download/windows']").click()
    assert download.value.suggested_filename == "aurora-remote-support-windows-placeholder.txt"
    response = page.request.get(f"{live_server}/remote-support/download/mac")
    assert response.ok and response.headers["content-disposition"].startswith("attachment")
    assert page.locator("footer").get_by_role("link", name=title).is_visible()
