"""The whole swarm workflow in real browsers: escalate, live inbox, claim, reply, accept, confirm, rate."""

import pytest

from tests.swarm.conftest import start_daphne
from tests.swarm.test_live_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    daphne = start_daphne()
    yield daphne
    daphne.kill()


def test_escalation_from_question_to_rating(browser, server, thread, customer, vendor, staff, tmp_path):
    staff_page = log_in(browser, server, staff)
    staff_page.goto(f"{server.http}/v/northwind/inbox/")
    staff_page.wait_for_selector("[data-inbox][data-live=connected]")
    assert "No escalations here" in staff_page.inner_text("[data-inbox-body]")

    customer_page = log_in(browser, server, customer)
    customer_page.goto(f"{server.http}{thread.get_absolute_url()}")
    customer_page.wait_for_selector(".live-status[data-state=live]")
    # The picker lists vendors with what they cover and how fast they answer, and finds them as you type.
    customer_page.get_by_text("Escalate to a vendor…").click()
    customer_page.fill("input[name=handle]", "nor")
    choice = customer_page.locator(".vendor-choice", has_text="Northwind Devices")
    choice.wait_for(timeout=15000)
    assert "First reply time: not enough data yet" in choice.inner_text()
    assert "everyone sees that it was escalated" in customer_page.inner_text(".escalate-picker")
    choice.locator("input[name=pick]").check()
    customer_page.click(".escalate-picker button[type=submit]")
    customer_page.locator(".escalation", has_text="not yet claimed").wait_for(timeout=15000)
    # Once escalated, the control gives way to the escalation's status.
    assert customer_page.locator(".escalate-picker").count() == 0
    assert "Northwind Devices has it in their inbox" in customer_page.inner_text("[data-escalate-status]")

    # The staff inbox shows it live, without a reload, and counts it in the tab title.
    row = staff_page.locator(".escalation-row", has_text=thread.title)
    row.wait_for(timeout=15000)
    assert staff_page.title().startswith("(1) Inbox")
    row.locator("button", has_text="Claim").click()
    staff_page.wait_for_url(f"**{thread.get_absolute_url()}")

    # Everyone on the thread sees who claimed it, live.
    customer_page.locator(".escalation", has_text=f"Claimed by {staff.name} (Northwind Devices)").wait_for(
        timeout=15000
    )

    staff_page.fill(".reply-box textarea[name=body]", "Northwind here: update the radio firmware to 2.1.")
    staff_page.click(".reply-box button[type=submit]")
    answer = customer_page.locator("[data-replies] .post", has_text="radio firmware")
    answer.wait_for(timeout=15000)

    customer_page.reload()
    customer_page.locator("[data-replies] .post", has_text="radio firmware").locator(
        "button", has_text="Accept"
    ).click()
    customer_page.locator(".confirm-box", has_text="Did this solve it?").wait_for(timeout=15000)
    customer_page.click(".confirm-box button[value=yes]")
    customer_page.locator(".rate-box").wait_for(timeout=15000)
    customer_page.check(".rate-box input[value='5']")
    customer_page.fill(".rate-box textarea", "Fast and clear.")
    customer_page.click(".rate-box button[type=submit]")
    customer_page.locator(".escalation", has_text="rated 5/5").wait_for(timeout=15000)
    customer_page.screenshot(path=str(tmp_path / "escalation-customer.png"), full_page=True)

    vendor_page = browser.new_page()
    vendor_page.goto(f"{server.http}/v/northwind/")
    # One rated case is no average: the page gives the sample size instead (docs/escalations.md).
    assert vendor_page.inner_text("[data-metric=rating-30]") == "not enough data yet (1 case)"
    assert vendor_page.inner_text("[data-metric=share-30]") == "not enough data yet (1 case)"
    assert vendor_page.inner_text("[data-metric=escalations-30]") == "1"
