"""On a phone (375×812) nothing is lost: no page scrolls sideways, the section links sit behind a
menu button (keyboard, and without script), the sidebar's content is reachable, and staff reach
the question without scrolling past their tools."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from swarm.actions import claims, escalations, notes
from tests.conftest import make_staff
from tests.screenshots import save as shot

from .conftest import log_in, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > innerWidth")


@pytest.fixture
def story(customer, expert, moderator, vendor):
    """A solved thread with a neighbour, and an escalated thread its claimant has many notes on."""
    keith = make_staff("keith", vendor)
    solved = thread_actions.create_thread(
        author=customer,
        title="Tablet drops wifi after sleep",
        body="Since the 4.2 update my tablet loses **wifi** after sleep.",
        tags="wifi tablet",
    )
    answer = post_actions.reply(author=expert, thread=solved, body="Turn off MAC randomisation in the wifi settings.")
    thread_actions.accept_answer(user=customer, thread=solved, post=answer)
    thread_actions.create_thread(
        author=expert, title="Tablet wifi drops after sleep mode", body="Same here.", tags="wifi tablet"
    )
    escalated = thread_actions.create_thread(
        author=customer,
        title="Laptop fan runs loud during video calls",
        body="The fan gets very loud on every call. " * 3,
        tags="laptop",
    )
    escalation = escalations.escalate(user=customer, thread=escalated, handle=vendor.handle)
    claims.claim(staff=keith, escalation=escalation)
    for n in range(6):
        notes.add_note(
            staff=keith,
            thread=escalated,
            vendor=vendor,
            body=f"Note {n}: checked the thermal logs, firmware 3.{n} has a fan curve change. " * 4,
        )
    return {"solved": solved, "escalated": escalated}


MAIN_PAGES = [
    "/",
    "/?show=unanswered",
    "/kb/",
    "/tags/",
    "/tags/wifi/",
    "/leaders/",
    "/badges/",
    "/search/?q=wifi",
    "/v/northwind/",
    "/u/jeff/",
    "/api/docs",
    "/accounts/login/",
]
SIGNED_IN_PAGES = [
    "/ask/",
    "/notifications/",
    "/tags/wifi/",
    "/settings/",
    "/settings/notifications/",
    "/v/northwind/inbox/",
]


def test_no_main_page_scrolls_sideways_on_a_phone(new_page, story, tmp_path):
    visitor = new_page(PHONE)
    pages = [*MAIN_PAGES, story["solved"].get_absolute_url(), story["escalated"].get_absolute_url()]
    wide = []
    for url in pages:
        visitor.goto(url)
        if scrolls_sideways(visitor):
            wide.append(url)
    staff = new_page(PHONE)
    log_in(staff, "keith")
    for url in [*SIGNED_IN_PAGES, story["escalated"].get_absolute_url(), "/"]:
        staff.goto(url)
        if scrolls_sideways(staff):
            wide.append(f"{url} (staff)")
    assert wide == []
    # Nor does any part of the page scroll sideways on its own (the tabs and the section links did).
    staff.goto("/")
    scrollers = staff.evaluate(
        """[...document.querySelectorAll('nav, .tabs')].filter(
            el => el.offsetParent !== null && el.scrollWidth > el.clientWidth).map(el => el.className)"""
    )
    assert scrollers == []
    shot(staff, "phone-home-staff.png", tmp_path)


def test_the_section_menu_opens_by_keyboard_and_says_so(new_page, story, tmp_path):
    page = new_page(PHONE)
    page.goto("/")
    expect(page.get_by_role("link", name="Knowledge base")).to_be_hidden()
    menu = page.locator("summary", has_text="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Knowledge base")).to_be_visible()
    shot(page, "phone-menu-open.png", tmp_path)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Threads", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(page.get_by_role("link", name="Knowledge base")).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})  # on a desktop the links show without a menu
    expect(page.get_by_role("link", name="Knowledge base")).to_be_visible()
    expect(menu).to_be_hidden()


def test_the_section_menu_works_without_javascript(browser, live_server, story):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("summary", has_text="Menu").click()
        page.get_by_role("link", name="Leaders").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Leaderboard")
    finally:
        context.close()


def test_the_sidebar_is_reachable_on_a_phone(new_page, asgi_server, story, tmp_path):
    page = new_page(PHONE, server=asgi_server)
    sign_in(page, asgi_server, "morgan")  # a moderator: may mark duplicates
    page.goto(story["solved"].get_absolute_url())
    jumps = page.get_by_role("list", name="On this page")
    expect(jumps).to_be_in_viewport()
    jumps.get_by_role("link", name="Similar threads").click()
    similar = page.get_by_role("list", name="Similar threads")
    expect(similar.get_by_role("link", name="Tablet wifi drops after sleep mode")).to_be_in_viewport()
    jumps.get_by_role("link", name="Mark as duplicate").click()
    expect(page.locator("#duplicate-control > summary")).to_be_in_viewport()
    jumps.get_by_role("link", name="Jump to the accepted answer").click()
    expect(page.get_by_role("heading", name="✓ The answer that solved it")).to_be_in_viewport()
    shot(page, "phone-thread-sidebar.png", tmp_path)


def test_a_moderator_marks_a_duplicate_from_a_phone_and_readers_are_sent_to_the_answer(
    new_page, asgi_server, story, tmp_path
):
    from forum.models import Thread

    repeat = Thread.objects.get(title="Tablet wifi drops after sleep mode")
    moderator = new_page(PHONE)
    log_in(moderator, "morgan")
    moderator.goto(repeat.get_absolute_url())
    moderator.get_by_role("list", name="On this page").get_by_role("link", name="Mark as duplicate").click()
    moderator.locator("#duplicate-control > summary").click()
    moderator.get_by_label("The thread this one repeats (link or number)").fill(str(story["solved"].pk))
    with moderator.expect_navigation():
        moderator.locator(".duplicate-form").get_by_role("button", name="Mark as duplicate").click()
    assert Thread.objects.get(pk=repeat.pk).duplicate_of_id == story["solved"].pk

    reader = new_page(server=asgi_server)
    reader.goto(repeat.get_absolute_url())
    expect(reader.locator(".live-status")).to_contain_text("Live")
    banner = reader.get_by_role("note")
    expect(banner).to_contain_text("Duplicate of Tablet drops wifi after sleep")
    expect(banner).to_contain_text("Solved")
    shot(reader, "thread-duplicate.png", tmp_path)
    banner.get_by_role("link", name="Tablet drops wifi after sleep").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Tablet drops wifi after sleep")


def test_staff_reach_the_question_within_two_screens_on_a_phone(new_page, asgi_server, story, tmp_path):
    page = new_page(PHONE, server=asgi_server)
    sign_in(page, asgi_server, "keith")
    page.goto(story["escalated"].get_absolute_url())
    question = page.locator("article.post").first
    expect(question).to_contain_text("The fan gets very loud")
    top = question.evaluate("el => el.getBoundingClientRect().top + scrollY")
    assert top < 2 * PHONE["height"], f"the question starts {top}px down"
    expect(page.get_by_role("button", name="Release")).to_be_visible()  # the claim's buttons stay at hand
    tools = page.locator("summary", has_text="Staff tools")
    expect(tools).to_contain_text("6 staff notes")
    expect(page.get_by_text("Note 5: checked the thermal logs").first).to_be_hidden()
    tools.click()
    # Opened, the tools show the latest two notes; the earlier ones fold away, so the question
    # is still within two screens.
    expect(page.get_by_text("Note 5: checked the thermal logs").first).to_be_visible()
    expect(page.get_by_text("Note 4: checked the thermal logs").first).to_be_visible()
    expect(page.get_by_text("Note 0: checked the thermal logs").first).to_be_hidden()
    top = question.evaluate("el => el.getBoundingClientRect().top + scrollY")
    assert top < 2 * PHONE["height"], f"with the tools open the question starts {top}px down"
    expect(page.locator(".live-status")).to_contain_text("Live")
    shot(page, "phone-thread-staff.png", tmp_path)
    earlier = page.locator("summary", has_text="Show 4 earlier notes")
    earlier.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Note 0: checked the thermal logs").first).to_be_visible()


def test_the_vendor_chart_reads_on_a_phone_and_its_table_opens(new_page, story, tmp_path):
    for suffix, viewport in (("-phone", PHONE), ("", None)):
        page = new_page(viewport)
        page.goto("/v/northwind/")
        chart = page.get_by_role("img", name="Weekly escalations to Northwind Devices and confirmed solutions")
        expect(chart).to_be_visible()
        assert chart.evaluate("el => el.getBoundingClientRect().right") <= page.viewport_size["width"]
        page.get_by_text("Show the figures as a table").click()
        table = page.get_by_role("table", name="Escalations to Northwind Devices per week")
        expect(table.get_by_role("row").last).to_contain_text("1")  # this week's escalation
        assert not scrolls_sideways(page)
        page.locator(".chart").scroll_into_view_if_needed()
        page.locator(".chart").screenshot(path=str(tmp_path / f"vendor-chart{suffix}.png"))


def test_confirm_solved_and_claim_in_place_from_the_notifications_on_a_phone(new_page, story, vendor, tmp_path):
    from forum.models import User
    from swarm.models import Escalation

    keith = User.objects.get(username="keith")
    escalation = Escalation.objects.get(thread=story["escalated"])
    claims.resolve(staff=keith, escalation=escalation)
    fresh = thread_actions.create_thread(author=story["solved"].author, title="Dock stays dark", body="No image.")
    escalations.escalate(user=fresh.author, thread=fresh, handle=vendor.handle)

    asker = new_page(PHONE)
    log_in(asker, "jeff")
    asker.goto("/notifications/")
    shot(asker, "phone-notifications-confirm.png", tmp_path)
    asker.get_by_role("button", name="Confirm solved").click()
    expect(asker.locator(".messages")).to_contain_text("Thanks! It's marked solved.")
    expect(asker.get_by_text("✓ Confirmed solved").first).to_be_visible()
    expect(asker.get_by_role("button", name="Confirm solved")).to_have_count(0)
    assert not scrolls_sideways(asker)

    staff = new_page(PHONE)
    log_in(staff, "keith")
    staff.goto("/notifications/")
    staff.get_by_role("button", name="Claim the escalation of “Dock stays dark”").click()
    expect(staff.locator(".messages")).to_contain_text("You claimed it.")
    expect(staff.get_by_text("Claimed by keith").first).to_be_visible()
    shot(staff, "phone-notifications-claimed.png", tmp_path)
