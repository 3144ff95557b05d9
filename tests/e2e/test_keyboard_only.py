"""Keyboard only: asking, replying, voting, escalating and claiming with Tab, typing, Space and Enter.

No clicks: each control is reached by pressing Tab from the top of the page, as someone who
cannot use a mouse would, and operated from the keyboard. A control that Tab never reaches
fails the test.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Thread, Vote
from swarm.models import Escalation

from .conftest import log_in

pytestmark = pytest.mark.e2e

TABS = 400  # more than any page here has focusable elements


def tab_to(page, selector: str) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


def test_asking_replying_and_voting_with_the_keyboard_alone(page, customer, expert):
    log_in(page, "jeff")
    page.goto("/ask/")
    tab_to(page, "input[name=title]")
    page.keyboard.type("Dock stops charging after the firmware update")
    tab_to(page, "textarea[name=body]")
    page.keyboard.type("Since firmware 2.1 the dock no longer charges my laptop.")
    tab_to(page, "form button[type=submit].button-primary")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    thread = Thread.objects.get(title="Dock stops charging after the firmware update")
    assert page.url.endswith(thread.get_absolute_url())

    page.context.clear_cookies()  # sign out
    log_in(page, "dana")
    page.goto(thread.get_absolute_url())
    tab_to(page, "textarea[name=body]")
    page.keyboard.type("Roll back to firmware 2.0 from the support page; 2.1 breaks USB-C power delivery.")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")  # the composer sends, as documented in its hint
    reply = thread.posts.order_by("-created_at").first()
    assert reply.author.username == "dana" and "Roll back" in reply.body

    page.context.clear_cookies()
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    tab_to(page, f"#post-{reply.pk} button.vote")
    page.keyboard.press("Enter")
    expect(page.locator(f"#post-{reply.pk} [data-score]")).to_have_text("1")
    assert Vote.objects.filter(post=reply, user=customer).exists()


def test_escalating_and_claiming_with_the_keyboard_alone(page, customer, staff, vendor):
    thread = thread_actions.create_thread(
        author=customer, title="Slate 11 loses Wi-Fi after sleep", body="Every night since the update."
    )
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    tab_to(page, ".escalate-picker summary")
    page.keyboard.press("Enter")  # opens the picker
    tab_to(page, "input[name=handle]")
    page.keyboard.type("north")
    expect(page.locator("input[name=pick][value=northwind]")).to_be_visible()
    tab_to(page, "input[name=pick][value=northwind]")
    page.keyboard.press("Space")
    tab_to(page, ".escalate-picker button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".escalation-to")).to_contain_text("@northwind")
    escalation = Escalation.objects.get(thread=thread)
    assert escalation.vendor == vendor

    page.context.clear_cookies()
    log_in(page, "keith")
    page.goto(thread.get_absolute_url())
    tab_to(page, f'form[action$="/{escalation.pk}/claim/"] button')
    page.keyboard.press("Enter")
    expect(page.locator(".escalation-state")).to_contain_text(staff.name)
    escalation.refresh_from_db()
    assert escalation.claimed_by == staff


def test_the_sticky_header_never_hides_what_a_link_or_the_keyboard_brings_into_view(page, customer, expert):
    """The header stays on screen while the page scrolls (on a desktop). A jump to a reply and
    Shift+Tab back up a long thread must land below it, not under it."""
    thread = thread_actions.create_thread(
        author=customer, title="Dock flickers on the second monitor", body="Every few seconds."
    )
    replies = [
        post_actions.reply(author=expert, thread=thread, body=f"Reply {n}: try a different cable. " * 6)
        for n in range(25)
    ]
    log_in(page, "dana")
    page.set_viewport_size({"width": 1280, "height": 800})

    def header_bottom() -> float:
        return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")

    target = replies[12]
    page.goto(f"{thread.get_absolute_url()}#post-{target.pk}")
    expect(page.locator(f"#post-{target.pk}")).to_be_focused()
    assert page.evaluate("scrollY") > 0, "the jump scrolled the page"
    top = page.locator(f"#post-{target.pk}").evaluate("el => el.getBoundingClientRect().top")
    assert top >= header_bottom(), f"the reply starts at {top}px, under the header (bottom {header_bottom()}px)"

    # From the composer at the bottom, back up through the replies: each control Shift+Tab
    # reaches is scrolled into view below the header.
    page.locator("textarea[name=body]").focus()
    hidden = []
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        box = page.evaluate(
            """() => { const el = document.activeElement;
                if (!el || el.closest('.site-header')) return null;
                const r = el.getBoundingClientRect(); return {top: r.top, what: el.outerHTML.slice(0, 80)}; }"""
        )
        if box and box["top"] < header_bottom():
            hidden.append(box)
    assert page.evaluate("scrollY") > 0
    assert hidden == []
