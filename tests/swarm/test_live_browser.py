"""Two people in real browsers on one thread see each other's replies appear live."""

import pytest

from tests.conftest import sign_in
from tests.swarm.conftest import start_daphne

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    daphne = start_daphne()
    yield daphne
    daphne.kill()


def log_in(browser, server, user):
    """A browser context holding a real session of ``user`` on the server."""
    context = browser.new_context()
    sign_in(context, server.http, user)
    return context.new_page()


def test_customer_and_staff_see_each_others_replies_live(browser, server, thread, customer, staff):
    customer_page = log_in(browser, server, customer)
    staff_page = log_in(browser, server, staff)
    url = f"{server.http}{thread.get_absolute_url()}"
    for page in (customer_page, staff_page):
        page.goto(url)
        page.wait_for_selector(".live-status[data-state=live]")

    # Each sees the other's presence, the staff member under the vendor's name.
    customer_page.locator(".presence-staff", has_text="1 from Northwind Devices").wait_for(timeout=10000)
    staff_page.locator(".presence", has_text="1 customer").wait_for(timeout=10000)

    staff_page.type("textarea[name=body]", "Northwind here: ")
    customer_page.locator(".typing", has_text="keith is typing").wait_for(timeout=5000)
    staff_page.fill("textarea[name=body]", "Northwind here: set **Wi-Fi during sleep** to Always.")
    staff_page.click(".reply-box button[type=submit]")

    reply = customer_page.locator("[data-replies] .post").filter(has_text="Northwind here")
    reply.wait_for(timeout=5000)
    assert "Staff · Northwind Devices" in reply.inner_text()

    # The customer's half-written text is untouched while the staff reply arrives.
    customer_page.fill("textarea[name=body]", "That fixed it, thank you!")
    customer_page.click(".reply-box button[type=submit]")
    staff_page.locator("[data-replies] .post").filter(has_text="That fixed it").wait_for(timeout=5000)
