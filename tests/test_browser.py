"""The pages in a real browser: Debian's Chromium driven by Playwright."""
from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="sv-SE")
        yield context.new_page()
        browser.close()


def test_choose_finnish_on_the_login_page_and_log_in(page, live_server):
    page.goto(f"{live_server}/")
    assert page.locator("h1").inner_text() == "Logga in på supportportalen"
    page.get_by_role("button", name="Suomi").first.click()
    assert page.locator("h1").inner_text() == "Kirjaudu tukiportaaliin"
    page.get_by_label("Käyttäjätunnus").fill("mikko")
    page.get_by_label("Salasana").fill("väärä")
    page.get_by_role("button", name="Kirjaudu sisään").click()
    assert page.get_by_text("Väärä käyttäjätunnus tai salasana").is_visible()
    page.get_by_label("Salasana").fill("demo")
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.wait_for_url(f"{live_server}/")
    assert "Tervetuloa, Mikko Laine" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Svenska").click()
    assert "Välkommen, Mikko Laine" in page.locator("h1").inner_text()


def test_layout_fits_a_phone(page, live_server):
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_server}/auth/login")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
