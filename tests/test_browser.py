"""The pages in a real browser: Debian's Chromium driven by Playwright."""
from __future__ import annotations

import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from kb.testing.second_factor import forget_taken, next_code

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


SCREENSHOTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _fresh_codes():
    """Each test has a new database, where no code has been taken yet."""
    forget_taken()


def _login(page, live_server, username, language_button):
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("button", name=language_button).first.click()
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("demo")
    page.locator(f"form[action=\"/auth/login\"] button[type=submit]").last.click()
    page.wait_for_load_state()
    if page.locator("input[name=code]").count():  # staff: the code of their authenticator app too
        page.locator("input[name=code]").fill(next_code(username))
        page.locator("form[action=\"/auth/login/code\"] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/")


def _paste_image(page, name="image.png"):
    """A real paste event carrying a PNG, as Ctrl+V of a screenshot gives."""
    page.evaluate("""(name) => {
        const bytes = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AwAI/AL+p5qgoAAAAABJRU5ErkJggg=='), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], name, {type: 'image/png'}));
        document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
    }""", name)


def test_switching_language_in_the_middle_of_a_form_keeps_what_was_typed(page, live_server):
    _login(page, live_server, "anna", "Svenska")
    page.goto(f"{live_server}/tickets/new")
    page.get_by_label("Produkt *").select_option(label="Aurora Bokföring")
    page.get_by_label("Version").select_option(label="2025.2")
    page.get_by_label("Rubrik *").fill("Perioden är låst i april")
    page.get_by_label("Beskrivning *").fill("Vi får Fel 4012 när vi bokför.\nTvå rader.")
    chosen = (page.locator("#product").input_value(), page.locator("#version").input_value())
    page.get_by_role("button", name="Suomi").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator("#subject").input_value() == "Perioden är låst i april"
    assert page.locator("#description").input_value() == "Vi får Fel 4012 när vi bokför.\nTvå rader."
    assert (page.locator("#product").input_value(), page.locator("#version").input_value()) == chosen
    assert page.locator("#version option:checked").inner_text() == "2025.2"
    page.reload()  # kept for that one switch, not forever
    assert page.locator("#subject").input_value() == ""


def test_file_a_ticket_with_a_pasted_screenshot_then_follow_it_in_finnish(app, page, live_server):
    from sqlalchemy import select

    from kb import tickets as workflow
    from kb.db import writing
    from kb.models import Ticket, User

    app.extensions["kb_index"].rebuild(app.extensions["kb_database"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _login(page, live_server, "anna", "Svenska")
    page.get_by_role("link", name="Registrera ärende").first.click()
    page.get_by_label("Produkt *").select_option(label="Aurora Bokföring")
    # Lists follow the product: only this product's versions are offered.
    versions = page.locator("#version option").all_inner_texts()
    assert "2025.2" in versions and len(versions) < 10
    page.get_by_label("Rubrik *").press_sequentially("Perioden är låst", delay=20)
    deflection = page.locator("#deflection")
    deflection.wait_for(state="visible")
    assert "Perioden är låst för bokföring" in deflection.inner_text()
    page.get_by_label("Rubrik *").fill("Bokföring – verifikationer – Fel 4012 perioden är låst i april")
    page.get_by_label("Beskrivning *").fill("Vi får **Fel 4012** när vi bokför i april.")
    page.get_by_label("Felmeddelande, exakt som det visas").fill("Fel 4012: Perioden är låst för bokföring")
    _paste_image(page)
    thumb = page.locator("[data-thumbs] li.new img")
    thumb.wait_for()
    assert thumb.get_attribute("alt").startswith("screenshot-")
    page.screenshot(path=str(SCREENSHOTS / "register-ticket-sv.png"), full_page=True)
    page.get_by_role("button", name="Registrera ärendet").click()
    page.wait_for_url("**/tickets/new?registered=*")
    number = int(page.url.rsplit("=", 1)[1])
    assert f"Ärende {number} har registrerats" in page.locator(".flash.success").first.inner_text()
    assert page.get_by_label("Rubrik *").input_value() == ""

    with app.extensions["kb_database"].session() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        assert [a.filename for a in ticket.attachments][0].startswith("screenshot-")
        support = db.scalar(select(User).where(User.username == "support"))
        with writing(db):
            proposal = workflow.propose_work(db, ticket, support, "Öppna april och bokför om tre verifikationer.", 2)
            workflow.add_comment(db, ticket, support, "Vi har tittat på det. Se förslaget.")
        proposal_id = proposal.id

    # Erik, of the same organisation, follows it in Finnish.
    page.get_by_role("button", name="Logga ut").click()
    _login(page, live_server, "erik", "Suomi")
    page.get_by_role("link", name="Omat tukipyynnöt").first.click()
    page.get_by_label("Näytä kaikki asiakkaan tukipyynnöt").check()
    page.get_by_role("button", name="Näytä").click()
    page.get_by_role("link", name=str(number), exact=True).click()
    assert "Vi har tittat på det." in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "ticket-fi.png"), full_page=True)
    page.locator(f"#note-{proposal_id}").fill("Tilaamme työn ehdotuksen mukaisesti. /Erik")
    page.get_by_role("button", name="Vahvista työ").click()
    assert "Kiitos, työ on vahvistettu." in page.locator(".flash").first.inner_text()
    page.get_by_role("link", name="4 Uusi kommentti").click()
    page.get_by_label("Kommentti").fill("Kiitos nopeasta vastauksesta!")
    page.get_by_role("button", name="Tallenna kommentti").click()
    assert "Kiitos nopeasta vastauksesta!" in page.locator("main").inner_text()
    page.get_by_role("link", name="2 Muutosloki").click()
    log = page.locator("table.log").inner_text()
    assert "Vahvisti laskutettavan työn" in log and "Kirjoitti kommentin" in log and "Liitti tiedoston" in log
    page.screenshot(path=str(SCREENSHOTS / "change-log-fi.png"), full_page=True)
    page.get_by_role("link", name="3 Liitteet").click()
    assert "screenshot-" in page.locator("ul.attachments").inner_text()


def test_support_solves_and_publishes_and_the_customer_finds_it(app, page, live_server):
    from sqlalchemy import select

    from kb import tickets as workflow
    from kb.db import writing
    from kb.models import User

    app.extensions["kb_index"].rebuild(app.extensions["kb_database"])
    with app.extensions["kb_database"].session() as db:
        with writing(db):
            ticket = workflow.create_ticket(
                db, db.scalar(select(User).where(User.username == "mikko")), subject="Tilikartan tuonti kaatuu",
                product="bookkeeping", description="Tuonti pysähtyy virheeseen 9912. Terveisin Mikko Laine")
        number = ticket.number
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _login(page, live_server, "support", "Svenska")
    page.get_by_role("link", name="Supportkö").click()
    page.get_by_role("link", name="Tilikartan tuonti kaatuu").click()
    page.get_by_role("button", name="Ta ärendet").click()
    page.get_by_role("link", name="4 Ny kommentar").click()
    page.get_by_label("Kommentar", exact=True).fill("Hei Mikko, tarkistamme asian.")
    page.get_by_role("button", name="Spara kommentar").click()
    page.get_by_label("Föreslå en lösning (ärendet blir löst)").fill(
        "Tallenna tiedosto **UTF-8**-muodossa ja tuo tilikartta uudelleen.")
    page.get_by_role("button", name="Föreslå lösning").click()
    assert "Löst" in page.locator(".meta .status").inner_text()
    page.get_by_role("link", name="Markera som generell").click()
    assert "Mikko Laine" in page.locator("mark.personal").all_inner_texts()
    page.get_by_label("Problemställning").fill("Tilikartan tuonti pysähtyy virheeseen 9912.")
    page.get_by_role("button", name="Kontrollera igen").click()
    assert page.locator("mark.personal").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "publish-sv.png"), full_page=True)
    page.get_by_role("button", name="Publicera i erfarenhetsdatabasen").click()
    assert "Publicerat i erfarenhetsdatabasen." in page.locator(".flash").first.inner_text()
    page.get_by_role("button", name="Logga ut").click()

    _login(page, live_server, "liisa", "Suomi")
    page.get_by_role("link", name="Kokemustietokanta").first.click()
    page.get_by_label("Ratkaisu").check()
    page.locator("input[name=q]").fill("utf-8 tilikartta")
    page.locator("#results mark").first.wait_for()  # the query's results, not the listing before it
    page.locator(f"#results a[href='/experience/{number}']").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "experience-search-fi.png"), full_page=True)
    page.locator(f"#results a[href='/experience/{number}']").click()
    assert "UTF-8" in page.locator("main").inner_text()


def test_remote_access_requested_approved_in_finnish_used_and_expired(app, page, live_server):
    from datetime import timedelta

    from sqlalchemy import select

    from kb.db import writing
    from kb.models import RemoteAccessGrant

    _login(page, live_server, "support", "Svenska")
    page.get_by_role("link", name="Fjärråtkomst").first.click()
    page.get_by_role("link", name="Begär fjärråtkomst").click()
    page.get_by_label("Organisation").select_option(label="Kuljetus Virtanen Oy (högst 4 h)")
    page.get_by_label("Skäl").fill("Palkka-ajo kaatuu, tarkistetaan asetukset")
    page.get_by_label("Aurora Lön").check()
    page.get_by_label("Längd i timmar").fill("2")
    page.get_by_role("button", name="Skicka begäran").click()
    assert "Begäran har skickats" in page.locator(".flash").first.inner_text()
    grant_url = page.url
    page.get_by_role("button", name="Logga ut").click()

    _login(page, live_server, "liisa", "Suomi")
    menu = page.get_by_role("link", name=re.compile("Neuvontaoikeudet"))
    assert "1" in menu.first.inner_text()
    menu.first.click()
    page.get_by_role("link", name="Siirry hyväksyntään").click()
    assert "Aurora Palkanlaskenta" in page.locator("main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "grant-approval-fi.png"), full_page=True)
    page.get_by_role("button", name="Hyväksy").click()
    assert "Neuvontaoikeudet hyväksytty." in page.locator(".flash").first.inner_text()
    page.get_by_role("button", name="Kirjaudu ulos").click()

    _login(page, live_server, "support", "Svenska")
    page.goto(grant_url)
    page.locator("main").get_by_role("link", name="Ärenden").click()
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() > 0 and "Aurora Lön" in page.locator("table.tickets").inner_text()
    # The window closes: the next request is refused.
    with app.extensions["kb_database"].session() as db:
        with writing(db):
            grant = db.scalar(select(RemoteAccessGrant).order_by(RemoteAccessGrant.id.desc()))
            grant.starts_at -= timedelta(hours=3)
            grant.ends_at -= timedelta(hours=3)
    response = page.reload()
    assert response.status == 403 and "Kuljetus" not in page.locator("main").inner_text()


def test_a_refused_form_leaves_the_pages_own_address_in_the_address_bar(page, live_server, app):
    _login(page, live_server, "anna", "Svenska")
    page.goto(f"{live_server}/tickets/")
    number = re.search(r"/tickets/(\d+)", page.locator("table a[href^='/tickets/']").first.get_attribute("href")).group(1)
    page.goto(f"{live_server}/tickets/{number}?tab=comment")
    page.locator("form[action$='/comments'] button[type=submit]").first.click()  # nothing written: refused
    page.wait_for_load_state()
    assert page.locator(".error, [role=alert]").first.is_visible()
    assert page.url == f"{live_server}/tickets/{number}?tab=comment"  # not the form's /comments
    page.reload()
    assert page.url == f"{live_server}/tickets/{number}?tab=comment" and page.locator("h1").is_visible()


PHONE_PAGES = {  # every role's pages from the menus, and the pages of their main work
    "anna": ["/", "/experience/?q=l%C3%B6n", "/tickets/", "/tickets/new", "/remote-support", "/grants/", "/auth/profile",
             "/auth/forgot", "/auth/request-account", "/auth/password/expired-link"],
    "erik": ["/", "/grants/", "/grants/settings", "/grants/audit", "/tickets/?scope=organisation", "/users/",
             "/users/requests", "/users/audit", "/reports/"],
    "partner": ["/", "/tickets/?scope=organisation"],
    "liisa": ["/", "/users/", "/users/requests", "/users/audit", "/reports/", "/auth/profile", "/grants/settings"],
    "support": ["/", "/support/", "/support/notices", "/support/notices/new", "/grants/support", "/grants/support/new",
                "/experience/?q=l%C3%B6n", "/tickets/", "/support/find?q=l%C3%B6n", "/support/find?from=x", "/reports/"],
    "admin": ["/", "/admin/", "/support/outbox", "/admin/users", "/admin/organisations", "/admin/licences",
              "/admin/catalogue", "/users/", "/users/requests"],
}


@pytest.mark.parametrize("username,language", [("anna", "Svenska"), ("erik", "Svenska"), ("partner", "Svenska"),
                                               ("liisa", "Suomi"),
                                               ("support", "Suomi"), ("admin", "Suomi")])
def test_every_page_of_every_role_fits_a_phone(page, live_server, username, language):
    """375 px wide, in either language: no page is wider than the screen (the menus wrap)."""
    page.set_viewport_size({"width": 375, "height": 700})
    _login(page, live_server, username, language)
    page.goto(f"{live_server}/tickets/")
    pages = PHONE_PAGES[username] + [page.locator("table a[href^='/tickets/']").first.get_attribute("href")]
    wide = {}
    for path in pages:
        response = page.goto(f"{live_server}{path}")
        assert response.status == (410 if "expired-link" in path else 200), path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide[path] = width
    assert not wide, f"wider than 375 px: {wide}"


def test_support_works_the_queue_and_a_ticket_in_the_browser(app, page, live_server):
    """The support views: the queue by what is due, a ticket's panel (contact, due times, corrections,
    assignment, canned answers, merge); screenshots for docs/."""
    from kb import canned
    from kb.db import writing
    from kb.models import User
    from sqlalchemy import select

    with app.extensions["kb_database"].session() as db, writing(db):
        support = db.scalar(select(User).where(User.username == "support"))
        canned.save(db, support, None, "Omstart", "Starta om tjänsten och försök igen.", "Käynnistä palvelu uudelleen.")
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "support", "Svenska")
    page.goto(f"{live_server}/support/?sort=due")
    assert page.get_by_role("columnheader", name="Förfaller").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "support-queue-sv.png"), full_page=True)
    page.locator("table.tickets tbody tr td a").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Första svar senast").is_visible()
    page.locator("#solution").fill("Hej! ")  # typed first: the answer goes in after it, nothing is lost
    page.get_by_role("button", name="Infoga standardsvaret").first.click()
    value = page.locator("#solution").input_value()
    assert value.startswith("Hej! ") and value[5:] in ("Starta om tjänsten och försök igen.", "Käynnistä palvelu uudelleen.")
    page.locator("#correct summary").click()
    page.screenshot(path=str(SCREENSHOTS / "support-ticket-sv.png"), full_page=True)


def test_support_finds_any_ticket_by_an_internal_note_in_the_browser_in_finnish(app, page, live_server):
    """Find any ticket: a word of an internal note on an open, unpublished ticket, in another form; the
    status filter; the hit opens the ticket, whose page lists related past tickets. Screenshot for docs/."""
    from kb import tickets as workflow
    from kb.db import writing
    from kb.models import User
    from sqlalchemy import select

    with app.extensions["kb_database"].session() as db, writing(db):
        mikko = db.scalar(select(User).where(User.username == "mikko"))
        support = db.scalar(select(User).where(User.username == "support"))
        ticket = workflow.create_ticket(db, mikko, subject="Palkkakuitit eivät tulostu", product="payroll",
                                        description="Tulostus pysähtyy.", language="fi")
        workflow.add_comment(db, ticket, support, "Asiakkaalla on vanha tulostinajuri.", internal=True)
        number = ticket.number
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "support", "Suomi")
    page.get_by_role("link", name="Etsi tukipyyntöjä").click()
    page.get_by_role("searchbox").fill("tulostinajurit")
    page.get_by_label("Tila").select_option(label="Uusi")
    page.get_by_role("button", name="Hae").click()
    page.wait_for_load_state()
    hit = page.locator("article.hit").first
    assert f"#{number}" in hit.inner_text() and hit.locator("mark").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "support-find-fi.png"), full_page=True)
    hit.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/tickets/{number}")


def test_a_customer_admin_invites_a_user_who_sets_a_password_in_the_browser_in_finnish(app, page, live_server):
    """Liisa invites a colleague on the users page; the colleague opens the mailed link, chooses a
    password and logs in with it; the invitation stands in the users' audit. At 375 px."""
    import re as _re

    from kb.models import OutboxMessage
    from sqlalchemy import select

    page.set_viewport_size({"width": 375, "height": 800})
    _login(page, live_server, "liisa", "Suomi")
    page.get_by_role("link", name="Käyttäjät").click()
    page.get_by_label("Nimi").fill("Pekka Nieminen")
    page.get_by_label("Sähköposti").fill("pekka.nieminen@kuljetusvirtanen.example")
    page.get_by_role("button", name="Kutsu", exact=True).click()
    page.wait_for_load_state()
    assert "Pekka Nieminen on kutsuttu" in page.locator(".flash").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with app.extensions["kb_database"].session() as db:
        mail = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
        path = _re.search(r"/auth/password/[\w-]+", mail.body_text).group(0)
    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.goto(f"{live_server}{path}")
    page.get_by_label("Uusi salasana", exact=True).fill("Hiekkalaatikko-2026")
    page.get_by_label("Uusi salasana uudelleen").fill("Hiekkalaatikko-2026")
    page.get_by_role("button", name="Tallenna salasana").click()
    page.wait_for_url(f"{live_server}/auth/login")
    page.locator("input[name=username]").fill("pekka.nieminen")
    page.locator("input[name=password]").fill("Hiekkalaatikko-2026")
    page.locator("form[action=\"/auth/login\"] button[type=submit]").last.click()
    page.wait_for_url(f"{live_server}/")
    assert "Pekka Nieminen" in page.locator(".who").inner_text()


def test_support_reads_the_reports_in_finnish_with_charts_and_a_csv_download(app, page, live_server):
    """The Reports page: charts drawn as SVG, the numbers behind them, a CSV download. Screenshot for docs/."""
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "support", "Suomi")
    page.goto(f"{live_server}/experience/?q=zyxwvu")  # a search that finds nothing: counted for the report
    page.get_by_role("link", name="Raportit").click()
    assert page.locator("h1").inner_text() == "Raportit"
    assert page.locator("svg.chart").count() == 3
    assert "zyxwvu" in page.locator("#usage").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "reports-fi.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#times a.csv").click()
    assert download.value.suggested_filename.startswith("times-")


ACCOUNT_PAGES = {  # the headings and buttons of the account pages in each language
    "Svenska": {"ask": "Ingen användare än? Be om en", "ask_h1": "Be om en användare", "forgot_h1": "Glömt lösenordet?",
                "two_factor": "Tvåstegsinloggning", "code": "Kod", "turn_on": "Slå på tvåstegsinloggning",
                "codes_h1": "Reservkoder", "continue": "Fortsätt", "on": "På", "logout": "Logga ut",
                "code_h1": "Logga in: koden"},
    "Suomi": {"ask": "Ei vielä tunnusta? Pyydä sitä", "ask_h1": "Pyydä käyttäjätunnusta", "forgot_h1": "Unohtuiko salasana?",
              "two_factor": "Kaksivaiheinen kirjautuminen", "code": "Koodi",
              "turn_on": "Ota kaksivaiheinen kirjautuminen käyttöön", "codes_h1": "Varakoodit", "continue": "Jatka",
              "on": "Päällä", "logout": "Kirjaudu ulos", "code_h1": "Kirjautuminen: koodi"},
}


@pytest.mark.parametrize("language", ["Svenska", "Suomi"])
def test_account_pages_fit_a_phone_and_staff_set_up_two_factor_login(app, page, live_server, language):
    """375 px, in both languages: asking for a user, a forgotten password, and an administrator without a
    second factor setting it up at login (the QR code, the first code, the recovery codes), then logging in
    again with a code."""
    import pyotp
    from sqlalchemy import update

    from kb.models import User

    words = ACCOUNT_PAGES[language]
    with app.extensions["kb_database"].session() as db:
        db.execute(update(User).where(User.username == "admin").values(totp_secret=None))
        db.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("button", name=language).first.click()

    def fits():
        return page.evaluate("document.documentElement.scrollWidth") <= 375

    def password_step():
        page.goto(f"{live_server}/auth/login")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill("demo")
        page.locator("form[action=\"/auth/login\"] button[type=submit]").last.click()
        page.wait_for_load_state()

    page.get_by_role("link", name=words["ask"]).click()
    assert page.locator("h1").inner_text() == words["ask_h1"] and fits()
    page.goto(f"{live_server}/auth/forgot")
    assert page.locator("h1").inner_text() == words["forgot_h1"] and fits()
    password_step()
    assert page.locator("h1").inner_text() == words["two_factor"] and page.locator(".qr svg").count() == 1
    assert fits()
    secret = page.locator("#totp-secret").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label(words["code"]).fill(totp.now())
    page.get_by_role("button", name=words["turn_on"]).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["codes_h1"] and page.locator(".recovery-codes li").count() == 10
    assert fits()
    page.get_by_role("link", name=words["continue"]).click()
    page.goto(f"{live_server}/auth/profile")
    assert words["on"] in page.locator("#two-factor").inner_text() and fits()
    page.get_by_role("button", name=words["logout"]).click()
    password_step()
    assert page.locator("h1").inner_text() == words["code_h1"] and fits()
    import time
    page.get_by_label(words["code"]).fill(totp.at(time.time() + 30))  # the first code was taken: the next one
    page.locator("form[action=\"/auth/login/code\"] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/")
