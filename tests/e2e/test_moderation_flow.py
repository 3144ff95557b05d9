"""Three trusted members flag a post, it is hidden from visitors, a moderator restores it from /mod/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from tests.conftest import make_user

from .conftest import log_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SPAM = "Cheap watches at unbeatable prices"


def flag_as(page, username: str, url: str, post_id: int, screenshot: str = "") -> None:
    log_in(page, username)
    page.goto(url)
    post = page.locator(f"#post-{post_id}")
    post.locator("summary", has_text="Flag").click()
    post.get_by_label("Spam").check()
    post.get_by_label("Note for the moderators").fill("Link farm")
    if screenshot:
        post.screenshot(path=str(SCREENSHOTS / screenshot))
    with page.expect_navigation():
        post.get_by_role("button", name="Send flag").click()
    expect(page.locator(".messages")).to_contain_text("the moderators will look at this post")


def test_flags_hide_a_post_and_a_moderator_restores_it(new_page, thread, other_customer, moderator):
    for i in range(3):  # established members: old enough, with reputation
        make_user(f"trusted{i}", reputation=100, date_joined=timezone.now() - timedelta(days=30))
    spam = post_actions.reply(author=other_customer, thread=thread, body=SPAM)
    url = thread.get_absolute_url()

    for i in range(3):
        flag_as(new_page(), f"trusted{i}", url, spam.pk, screenshot="moderation-flag-form.png" if i == 0 else "")

    visitor = new_page()
    visitor.goto(url)
    hidden = visitor.locator(f"#post-{spam.pk}")
    expect(hidden).to_contain_text("This post is hidden pending moderator review")
    expect(hidden).not_to_contain_text(SPAM)
    expect(visitor.locator(".history")).to_contain_text("hid a post pending review")
    hidden.screenshot(path=str(SCREENSHOTS / "moderation-hidden-post.png"))

    morgan = new_page()
    log_in(morgan, "morgan")
    morgan.goto("/mod/")
    item = morgan.locator(f"[data-mod-post='{spam.pk}']")
    expect(item).to_contain_text("3 open flags")
    expect(item).to_contain_text("Spam × 3")
    expect(item).to_contain_text(SPAM)
    morgan.screenshot(path=str(SCREENSHOTS / "moderation-queue.png"), full_page=True)
    with morgan.expect_navigation():
        item.get_by_role("button", name="Restore").click()
    expect(morgan.locator(".messages")).to_contain_text("The post is visible again")
    expect(morgan.locator(f"[data-mod-post='{spam.pk}']")).to_have_count(0)

    visitor.goto(url)
    expect(visitor.locator(f"#post-{spam.pk} .prose")).to_contain_text(SPAM)
    expect(visitor.locator(".history")).to_contain_text("restored a hidden post")


def test_moderator_suspends_a_member_who_then_sees_the_banner(new_page, thread, customer, moderator):
    morgan = new_page()
    log_in(morgan, "morgan")
    morgan.goto("/u/jeff/")
    with morgan.expect_navigation():
        morgan.get_by_role("link", name="Moderate Jeff Morrow").click()
    morgan.get_by_label("Reason (the member sees it)").fill("Posting the same link everywhere")
    with morgan.expect_navigation():
        morgan.get_by_role("button", name="Suspend Jeff Morrow").click()
    expect(morgan.locator(".messages")).to_contain_text("Jeff Morrow is suspended")
    expect(morgan.locator(".history-list")).to_contain_text("Suspended a user by morgan")
    morgan.screenshot(path=str(SCREENSHOTS / "moderation-member.png"), full_page=True)

    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(thread.get_absolute_url())
    banner = jeff.locator(".suspended-banner")
    expect(banner).to_contain_text("Your account is suspended indefinitely")
    expect(banner).to_contain_text("Posting the same link everywhere")
    expect(jeff.locator(".reply-box")).to_contain_text("You can't reply while your account is suspended")
    expect(jeff.get_by_role("button", name="Post reply")).to_have_count(0)
    expect(jeff.get_by_role("link", name="Edit")).to_have_count(0)
    jeff.screenshot(path=str(SCREENSHOTS / "moderation-suspended.png"))
