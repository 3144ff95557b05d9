"""Three trusted members flag a post, it is hidden from visitors, a moderator restores it from /mod/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from tests.conftest import make_user
from tests.screenshots import save as shot

from .conftest import log_in

pytestmark = pytest.mark.e2e

SPAM = "Cheap watches at unbeatable prices"


def flag_as(page, username: str, url: str, post_id: int, screenshot: str = "", tmp_path: Path | None = None) -> None:
    log_in(page, username)
    page.goto(url)
    post = page.locator(f"#post-{post_id}")
    post.locator("summary", has_text="Flag").click()
    post.get_by_label("Spam").check()
    post.get_by_label("Note for the moderators").fill("Link farm")
    if screenshot and tmp_path:
        shot(post, screenshot, tmp_path)
    with page.expect_navigation():
        post.get_by_role("button", name="Send flag").click()
    expect(page.locator(".messages")).to_contain_text("the moderators will look at this post")


def test_flags_hide_a_post_and_a_moderator_restores_it(new_page, thread, other_customer, moderator, tmp_path):
    for i in range(3):  # established members: old enough, with reputation
        make_user(f"trusted{i}", reputation=100, date_joined=timezone.now() - timedelta(days=30))
    spam = post_actions.reply(author=other_customer, thread=thread, body=SPAM)
    url = thread.get_absolute_url()

    for i in range(3):
        flag_as(
            new_page(),
            f"trusted{i}",
            url,
            spam.pk,
            screenshot="moderation-flag-form.png" if i == 0 else "",
            tmp_path=tmp_path,
        )

    visitor = new_page()
    visitor.goto(url)
    hidden = visitor.locator(f"#post-{spam.pk}")
    expect(hidden).to_contain_text("This post is hidden pending moderator review")
    expect(hidden).not_to_contain_text(SPAM)
    expect(visitor.locator(".history")).to_contain_text("hid a post pending review")
    shot(hidden, "moderation-hidden-post.png", tmp_path)

    morgan = new_page()
    log_in(morgan, "morgan")
    morgan.goto("/mod/")
    item = morgan.locator(f"[data-mod-post='{spam.pk}']")
    expect(item).to_contain_text("3 open flags")
    expect(item).to_contain_text("Spam × 3")
    expect(item).to_contain_text(SPAM)
    shot(morgan, "moderation-queue.png", tmp_path)
    with morgan.expect_navigation():
        item.get_by_role("button", name="Restore").click()
    expect(morgan.locator(".messages")).to_contain_text("The post is visible again")
    expect(morgan.locator(f"[data-mod-post='{spam.pk}']")).to_have_count(0)

    visitor.goto(url)
    expect(visitor.locator(f"#post-{spam.pk} .prose")).to_contain_text(SPAM)
    expect(visitor.locator(".history")).to_contain_text("restored a hidden post")


def test_moderator_suspends_a_member_who_then_sees_the_banner(new_page, thread, customer, moderator, tmp_path):
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
    shot(morgan, "moderation-member.png", tmp_path)

    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(thread.get_absolute_url())
    banner = jeff.locator(".suspended-banner")
    expect(banner).to_contain_text("Your account is suspended indefinitely")
    expect(banner).to_contain_text("Posting the same link everywhere")
    expect(jeff.locator(".reply-box")).to_contain_text("You can't reply while your account is suspended")
    expect(jeff.get_by_role("button", name="Post reply")).to_have_count(0)
    expect(jeff.get_by_role("link", name="Edit")).to_have_count(0)
    shot(jeff, "moderation-suspended.png", tmp_path)
