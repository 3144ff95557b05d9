"""Lists, the read beacon from a real browser, search filters and the grouped inbox; screenshots."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import ThreadRead
from swarm.actions import claims, escalations
from tests.screenshots import save as shot

from .conftest import log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


def _wait_for(check, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_lists_beacon_search_and_inbox(new_page, customer, other_customer, expert, staff, vendor, thread, tmp_path):
    escalation = escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    claims.claim(staff=staff, escalation=escalation)
    post_actions.reply(author=staff, thread=thread, body="We are looking at the driver.")
    solved = thread_actions.create_thread(
        author=other_customer, title="Printer wifi setup fails after reset", body="WPS fails.", tags="printer wifi"
    )
    answer = post_actions.reply(author=expert, thread=solved, body="Hold the WPS button for five seconds.")
    thread_actions.accept_answer(user=other_customer, thread=solved, post=answer)
    thread_actions.create_thread(author=expert, title="Laptop fan loud when idle", body="Fan noise.", tags="laptop")

    page = new_page()
    log_in(page, other_customer.username)
    page.goto("/")
    row = page.locator("li.thread-row", has_text=thread.title)
    expect(row).to_contain_text(f"Claimed by @{vendor.handle}")
    expect(row).to_contain_text("Staff replied")
    expect(row).to_contain_text("New to you")
    expect(
        page.locator("li.thread-row", has_text="Printer wifi").get_by_role("link", name="Jump to the solution")
    ).to_be_visible()
    shot(page, "reading-list.png", tmp_path)

    # Opening the thread: the page's script posts the beacon; the marker goes away.
    page.goto(thread.get_absolute_url())
    assert _wait_for(lambda: ThreadRead.objects.filter(user=other_customer, thread=thread).exists())
    page.goto("/")
    expect(page.locator("li.thread-row", has_text=thread.title)).not_to_contain_text("New to you")

    page.goto("/search/?q=wifi&solved=yes&sort=votes")
    expect(page.get_by_role("status")).to_contain_text("1 thread matches")
    shot(page, "reading-search.png", tmp_path)
    page.goto("/search/?q=wifi&tag=nosuchtag")
    expect(page.get_by_role("alert")).to_contain_text("There is no tag")

    asker = new_page()
    log_in(asker, customer.username)
    asker.goto("/notifications/")
    expect(asker.locator(".notice-escalation").first).to_be_visible()
    shot(asker, "reading-notifications.png", tmp_path)

    phone = new_page(PHONE)
    log_in(phone, customer.username)
    phone.goto("/")
    shot(phone, "reading-list-phone.png", tmp_path)
    phone.goto("/notifications/")
    shot(phone, "reading-notifications-phone.png", tmp_path)
    phone.goto("/search/?q=wifi")
    shot(phone, "reading-search-phone.png", tmp_path)


def test_account_settings_page(new_page, customer, tmp_path):
    page = new_page()
    log_in(page, customer.username)
    page.goto("/settings/")
    page.get_by_label("Your name").fill("Jeff from Leeds")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Your name is saved.")).to_be_visible()
    shot(page, "account-settings.png", tmp_path)
    phone = new_page(PHONE)
    log_in(phone, customer.username)
    phone.goto("/settings/")
    shot(phone, "account-settings-phone.png", tmp_path)


def test_the_pages_script_counts_times_as_the_server_does(new_page, thread, expert):
    """The script keeps "3 hours ago" fresh; it must not say "24 hours ago" where a fresh load
    says "23 hours ago" (it rounded, the server counts whole units)."""
    from datetime import timedelta

    from django.utils import timezone

    from forum.models import Post

    now = timezone.now()
    for body, age_ in (
        ("Almost a day", timedelta(hours=23, minutes=50)),
        ("Almost an hour", timedelta(minutes=59, seconds=40)),
    ):
        reply = post_actions.reply(author=expert, thread=thread, body=body)
        Post.objects.filter(pk=reply.pk).update(created_at=now - age_)
    page = new_page()
    page.goto(thread.get_absolute_url())
    expect(page.locator("article.post", has_text="Almost a day").locator("time").first).to_have_text("23 hours ago")
    expect(page.locator("article.post", has_text="Almost an hour").locator("time").first).to_have_text("59 minutes ago")
