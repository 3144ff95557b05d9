"""A thread page left open shows what a fresh load shows, and live updates never eat someone's work.

Real browsers (one context per person) on a real daphne; everything happens through the pages.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from swarm.actions import claims, escalations, notes
from tests.conftest import age, sign_in
from tests.swarm.conftest import start_daphne

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def page_of(browser, server, user, height: int = 900):
    """A new page in a browser context holding a real session of ``user`` (a visitor's when None)."""
    context = browser.new_context(base_url=server.http, viewport={"width": 1280, "height": height})
    context.set_default_timeout(10_000)
    if user is not None:
        sign_in(context, server.http, user)
    return context.new_page()


def open_as(browser, server, user, path: str, height: int = 900):
    """A page of ``user`` on ``path``, once its live socket is connected."""
    page = page_of(browser, server, user, height)
    page.csp = []
    page.on("console", lambda msg: "content security policy" in msg.text.lower() and page.csp.append(msg.text))
    page.goto(path)
    page.wait_for_selector(".live-status[data-state=live]")
    return page


def visible_text(page, selector: str) -> str:
    """What a reader sees of a region, without the live widgets only an open page has.

    Relative times ("just now", "1 minute ago") run on their own clock: compared by the moment they show."""
    return page.eval_on_selector(
        selector,
        """el => { const copy = el.cloneNode(true);
                   copy.querySelectorAll('[data-live-keep]').forEach(n => n.remove());
                   copy.querySelectorAll('time[datetime]').forEach(t => { t.textContent = t.dateTime; });
                   return copy.innerText.replace(/\\s+/g, ' ').trim(); }""",
    )


REGIONS = [".thread-meta", "[data-replies]", ".replies h2", ".history summary", ".thread-aside", ".metoo-count"]


def test_a_draft_survives_a_live_reply_which_arrives_with_the_askers_accept_button(
    browser, daphne, thread, customer, expert
):
    path = thread.get_absolute_url()
    asker = open_as(browser, daphne, customer, path, height=600)
    helper = open_as(browser, daphne, expert, path)

    asker.click("textarea[name=body]")
    asker.keyboard.type("Half-written: I tried turning it off and")
    helper.fill("textarea[name=body]", "Turn off **MAC randomisation** for your home network.")
    helper.click(".reply-box button[type=submit]")

    reply = asker.locator("[data-replies] .post").filter(has_text="Turn off MAC randomisation")
    expect(reply).to_be_visible()
    # The asker gets what a fresh load would give them: the Accept button, and the vote button.
    expect(reply.get_by_role("button", name="Accept as answer")).to_be_visible()
    expect(reply.get_by_role("button", name=re.compile("votes, upvote"))).to_be_enabled()
    # Their draft is untouched, still focused, and the page did not move under them.
    expect(asker.locator("textarea[name=body]")).to_have_value("Half-written: I tried turning it off and")
    expect(asker.locator("textarea[name=body]")).to_be_focused()
    # Counts move everywhere they are shown.
    expect(asker.locator(".replies h2")).to_have_text("1 reply")
    expect(asker.locator(".thread-meta")).to_contain_text("1 reply")
    expect(asker.locator(".thread-aside")).to_contain_text("Replies1")
    # A screen reader hears it once, politely.
    expect(asker.locator(".live-announcer[aria-live=polite]")).to_have_text(f"New reply from {expert.name}.")
    # After posting, the helper's focus lands on their new post.
    expect(helper.locator("article.post", has_text="Turn off MAC randomisation")).to_be_focused()

    # Someone reading the question is not yanked down: a button offers to take them to the new reply.
    asker.evaluate("window.scrollTo(0, 0)")
    helper.fill("textarea[name=body]", "Also forget the network and join it again.")
    helper.click(".reply-box button[type=submit]")
    new_replies = asker.get_by_role("button", name="1 new reply")
    expect(new_replies).to_be_visible()
    assert asker.evaluate("window.scrollY") == 0
    new_replies.click()
    second = asker.locator("[data-replies] article.post", has_text="forget the network")
    expect(second).to_be_focused()
    expect(second).to_be_in_viewport()
    expect(new_replies).to_be_hidden()

    # The page left open matches a fresh load, region by region.
    fresh = asker.context.new_page()
    fresh.goto(path)
    for region in REGIONS[:-1]:
        assert visible_text(asker, region) == visible_text(fresh, region), region
    assert asker.csp == [] and helper.csp == []


def test_the_panel_keeps_a_rating_in_progress_and_the_claim_message(
    browser, daphne, thread, customer, other_customer, staff, vendor
):
    age(customer, other_customer)
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    path = thread.get_absolute_url()
    asker = open_as(browser, daphne, customer, path)
    desk = open_as(browser, daphne, staff, path)
    neighbour = open_as(browser, daphne, other_customer, path)

    # Staff claim: their "You claimed it" notice must outlive the live refresh of their own claim.
    desk.get_by_role("button", name="Claim").focus()
    desk.keyboard.press("Enter")
    notice = desk.locator(".panel-message", has_text="You claimed it")
    expect(notice).to_be_visible()
    # The pressed button is gone with the swap: the focus goes to what it did, not to the page body.
    expect(notice).to_be_focused()
    expect(asker.locator(".live-announcer")).to_have_text(f"{staff.name} claimed the escalation for Northwind Devices.")
    desk.wait_for_timeout(1500)  # several live refreshes later
    expect(notice).to_be_visible()
    expect(desk.get_by_role("button", name="Mark resolved")).to_be_visible()

    claims.resolve(staff=staff, escalation=escalation)
    claims.confirm(user=customer, escalation=escalation, solved=True)
    asker.reload()
    asker.wait_for_selector(".live-status[data-state=live]")
    asker.get_by_label("4").check()
    asker.fill("textarea[name=comment]", "Quick and kind, thank")

    neighbour.reload()
    neighbour.get_by_role("button", name="Me too").click()
    expect(asker.locator(".metoo-count")).to_contain_text("1 person has this problem too")
    # The rating being written is exactly as it was.
    expect(asker.get_by_label("4")).to_be_checked()
    expect(asker.locator("textarea[name=comment]")).to_have_value("Quick and kind, thank")

    fresh = asker.context.new_page()
    fresh.goto(path)
    for region in REGIONS:
        assert visible_text(asker, region) == visible_text(fresh, region), region
    assert asker.csp == [] and desk.csp == [] and neighbour.csp == []


def test_a_refused_socket_says_why_and_is_not_retried(browser, daphne, thread, expert):
    """A thread rejected by a moderator while someone has it open: 4404, a clear message, no retry loop."""
    from forum.models import ReviewState, Thread

    attempts = []

    def through_to_the_server(ws) -> None:
        attempts.append(ws.url)
        Thread.objects.filter(pk=thread.pk).update(review_state=ReviewState.REJECTED)
        ws.connect_to_server()

    page = page_of(browser, daphne, expert)
    page.route_web_socket(re.compile(r"/ws/t/\d+/$"), through_to_the_server)
    page.goto(thread.get_absolute_url())

    alert = page.get_by_role("alert").filter(has_text="Live updates stopped")
    expect(alert).to_have_text("Live updates stopped: This does not exist, or not for you.")
    expect(page.locator(".live-status")).to_have_text("Offline")
    page.wait_for_timeout(4000)  # the old client retried within 0.5 to 2 s, for ever
    assert len(attempts) == 1, attempts


def test_the_inbox_refresh_keeps_the_focus_where_the_staff_member_left_it(
    browser, daphne, thread, customer, other_customer, staff, vendor
):
    age(other_customer)
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    inbox = page_of(browser, daphne, staff)
    inbox.goto("/v/northwind/inbox/")
    expect(inbox.locator("[data-inbox]")).to_have_attribute("data-live", "connected")
    link = inbox.get_by_role("link", name=thread.title)
    link.focus()

    neighbour = open_as(browser, daphne, other_customer, thread.get_absolute_url())
    neighbour.get_by_role("button", name="Me too").click()

    row = inbox.locator("li", has=inbox.get_by_role("link", name=thread.title)).last
    expect(row).to_contain_text("1 me too")
    expect(link).to_be_focused()


def test_pages_left_open_through_every_kind_of_event_match_a_fresh_load(
    browser,
    redis_url,
    redis_layer,
    transactional_db,
    thread,
    customer,
    other_customer,
    expert,
    staff,
    vendor,
    other_vendor,
    other_staff,
    moderator,
):
    """A scripted day on one thread, published through Redis as the site does; then every open page is
    compared, region by region, with a fresh load of the same page by the same person."""
    age(customer, other_customer, expert, staff, other_staff)
    daphne = start_daphne(redis_url)
    try:
        path = thread.get_absolute_url()
        people = {"asker": customer, "desk": staff, "bluewave": other_staff, "neighbour": other_customer}
        people["visitor"] = None
        pages = {name: open_as(browser, daphne, user, path) for name, user in people.items()}

        def day() -> None:
            answer = post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")
            post_actions.edit_post(editor=expert, post=answer, body="Turn off **MAC randomisation** for this network.")
            vote_actions.upvote(user=other_customer, post=answer)
            escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
            escalations.add_metoo(user=other_customer, thread=thread)
            claims.claim(staff=staff, escalation=escalation)
            notes.add_note(staff=staff, thread=thread, vendor=vendor, body="Internal: firmware 4.2.1 has the fix.")
            post_actions.reply(author=staff, thread=thread, body="Northwind here: 4.2.1 is rolling out tonight.")
            claims.release(staff=staff, escalation=escalation)
            claims.claim(staff=staff, escalation=escalation)
            bluewave_case = claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave", note="Carrier.")
            claims.claim(staff=other_staff, escalation=bluewave_case)
            claims.resolve(staff=other_staff, escalation=bluewave_case)
            claims.confirm(user=customer, escalation=bluewave_case, solved=False)
            claims.resolve(staff=other_staff, escalation=bluewave_case)
            claims.confirm(user=customer, escalation=bluewave_case, solved=True)
            claims.rate(user=customer, escalation=bluewave_case, rating=5, comment="Fast and kind.")
            thread_actions.accept_answer(user=customer, thread=thread, post=answer)
            thread_actions.reopen_thread(user=customer, thread=thread)
            thread_actions.accept_answer(user=customer, thread=thread, post=answer)
            thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
            thread_actions.set_locked(moderator=moderator, thread=thread, locked=False)
            escalations.withdraw_metoo(user=other_customer, thread=thread)
            close_old_connections()

        # From another thread: Playwright's loop runs in this one, and publishing wakes sockets through Redis.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(day).result()
        last = thread.events.filter(vendor__isnull=True).order_by("-seq").values_list("seq", flat=True).first()

        for name, page in pages.items():
            # The page has applied the last event, and its last refresh has landed.
            page.wait_for_function("seq => document.querySelector('article.thread').dataset.seq === seq", arg=str(last))
            fresh = page.context.new_page()
            fresh.goto(path)
            for region in [*REGIONS, ".swarm-panel"]:
                want = visible_text(fresh, region) if fresh.locator(region).count() else None
                for _ in range(40):  # the last refresh may still be in flight
                    have = visible_text(page, region) if page.locator(region).count() else None
                    if have == want:
                        break
                    page.wait_for_timeout(250)
                assert have == want, (name, region)
            fresh.close()
            assert page.csp == [], (name, page.csp)
    finally:
        daphne.kill()
