"""The page's own words in German and Spanish, including what static/js writes (Django's JavaScript catalog)."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import age, sign_in
from tests.screenshots import save as shot
from tests.swarm.conftest import start_daphne

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    daphne = start_daphne()
    yield daphne
    daphne.kill()


def open_as(browser, server, user, locale: str, **context_options):
    """A page whose browser asks for ``locale`` (Accept-Language and navigator.language), logged in as ``user``."""
    context = browser.new_context(locale=locale, **context_options)
    if user is not None:
        sign_in(context, server.http, user)
    page = context.new_page()
    page.csp = []
    page.on("console", lambda msg: page.csp.append(msg.text) if "content security policy" in msg.text.lower() else None)
    return page


def test_javascript_strings_follow_the_pages_language(browser, server, thread, customer, staff, tmp_path):
    url = f"{server.http}{thread.get_absolute_url()}"
    customer_page = open_as(browser, server, customer, "de-DE")
    staff_page = open_as(browser, server, staff, "de-DE")
    visitor_page = open_as(browser, server, None, "es-ES", viewport={"width": 375, "height": 812})
    for page in (customer_page, staff_page, visitor_page):
        page.goto(url)
        page.wait_for_selector(".live-status[data-state=live]")

    # Live notices, written by live.js: presence and typing, in German.
    expect(customer_page.locator(".presence")).to_contain_text("Gerade hier:")
    expect(customer_page.locator(".presence-staff")).to_have_text("1 von Northwind Devices")
    expect(staff_page.locator(".presence")).to_contain_text("1 Mitglied")
    staff_page.locator("textarea[name=body]").type("Northwind hier: ")
    expect(customer_page.locator(".typing")).to_have_text("keith schreibt…")

    # The composer's toolbar, preview and draft notice, written by composer.js.
    expect(customer_page.get_by_role("toolbar", name="Formatierung")).to_be_visible()
    expect(customer_page.get_by_role("button", name="Fett (Strg+B)")).to_be_visible()
    customer_page.get_by_role("button", name="Vorschau").click()
    preview = customer_page.get_by_role("region", name="Vorschau")
    expect(preview).to_contain_text("Vorschau: So wird dein Beitrag aussehen")
    customer_page.get_by_role("textbox", name="Deine Antwort").type("Halb geschrieben")
    customer_page.wait_for_timeout(600)  # drafts are saved 300 ms after the last keystroke
    customer_page.reload()
    expect(customer_page.get_by_role("status").filter(has_text="Entwurf ist wiederhergestellt")).to_be_visible()

    # Relative times refreshed by barnraise.js in the page's language, not the browser's default.
    first_time = customer_page.locator(".thread-meta time").first
    expect(first_time).to_have_text(re.compile(r"^(gerade eben|vor \d+ (Minute|Minuten|Sekunden))$"))

    # The Spanish visitor on a phone: the same scripts speak Spanish.
    expect(visitor_page.locator(".presence")).to_contain_text("Aquí ahora:")
    expect(visitor_page.locator(".live-status .live-label")).to_have_text("En directo")
    expect(visitor_page.locator("html")).to_have_attribute("lang", "es")

    shot(customer_page, "i18n-thread-de.png", tmp_path)
    shot(visitor_page, "i18n-thread-es-phone.png", tmp_path)
    for page in (customer_page, staff_page, visitor_page):
        assert not page.csp, page.csp


def test_the_footer_picker_switches_language_and_keeps_it(browser, server, thread):
    page = open_as(browser, server, None, "en-US")
    page.goto(f"{server.http}{thread.get_absolute_url()}")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    page.get_by_label("Language").select_option("de")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    assert page.url.endswith(thread.get_absolute_url())  # back on the same page
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_attached()
    page.goto(f"{server.http}/kb/")  # the choice sticks (a cookie), whatever the browser asks for
    expect(page.get_by_role("heading", level=1)).to_have_text("Wissensdatenbank")
    assert not page.csp, page.csp


def test_live_announcements_are_whole_sentences_in_the_pages_language(browser, server, thread, customer, staff):
    """What the polite live region says is one translated sentence, not an English label glued to a name."""
    age(customer)
    url = f"{server.http}{thread.get_absolute_url()}"
    desk = open_as(browser, server, staff, "de-DE")
    asker = open_as(browser, server, customer, "de-DE")
    visitor = open_as(browser, server, None, "es-ES")
    for page in (desk, asker, visitor):
        page.goto(url)
        page.wait_for_selector(".live-status[data-state=live]")

    # The asker escalates through the picker; staff and a visitor hear it in their own language.
    asker.locator(".escalate-picker summary").click()
    asker.locator("input[name=pick][value=northwind]").check()
    asker.locator(".escalate-picker button[type=submit]").click()
    expect(desk.locator(".live-announcer[aria-live=polite]")).to_have_text(
        f"{customer.name} hat den Thread an Northwind Devices eskaliert."
    )
    expect(visitor.locator(".live-announcer")).to_have_text(f"{customer.name} escaló el hilo a Northwind Devices.")

    # Staff claim it; the asker hears a German sentence, the visitor a Spanish one.
    desk.locator("form[action$='/claim/'] button").click()
    expect(asker.locator(".live-announcer")).to_have_text(
        f"{staff.name} hat die Eskalation für Northwind Devices übernommen."
    )
    expect(visitor.locator(".live-announcer")).to_have_text(f"{staff.name} asumió el escalado para Northwind Devices.")
    for page in (desk, asker, visitor):
        assert not page.csp, page.csp
