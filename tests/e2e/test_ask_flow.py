"""Scenario 1: a newcomer signs up, confirms their email, logs in and asks a question."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.screenshots import save as shot

from .conftest import log_in

pytestmark = pytest.mark.e2e

BODY = """Since the 4.2 update my tablet drops wifi after sleep. What I tried:

- Rebooted the router
- Forgot the network and joined again

The log says:

```
wlan0: deauthenticating from 00:11:22:33:44:55 by local choice
```
"""


def test_signup_confirm_login_and_ask(new_page, mailoutbox):
    page = new_page()
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "ruth@mail.example")
    page.fill("input[name=username]", "ruth")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password2]) button[type=submit]").click()
    # Verification is mandatory: the site says so, and sends the link by email.
    expect(page.locator("main")).to_contain_text("Verify Your Email Address")
    assert len(mailoutbox) == 1, [m.subject for m in mailoutbox]
    message = mailoutbox[0]
    assert message.to == ["ruth@mail.example"]
    link = re.search(r"/accounts/confirm-email/[^/\s]+/", message.body)
    assert link, message.body

    # Open the link from the email (another browser: the mail client), and confirm.
    mail_client = new_page()
    mail_client.goto(link.group(0))
    expect(mail_client.locator("main")).to_contain_text("ruth@mail.example")
    with mail_client.expect_navigation():
        mail_client.get_by_role("button", name="Confirm").click()
    expect(mail_client.locator(".messages")).to_contain_text("You have confirmed ruth@mail.example")

    log_in(mail_client, "ruth")
    mail_client.goto("/ask/")
    mail_client.get_by_label("Title").fill("Tablet drops wifi after sleep since 4.2")
    mail_client.get_by_label("Details").fill(BODY)
    mail_client.get_by_label("Tags").fill("wifi, tablet")
    with mail_client.expect_navigation():
        mail_client.get_by_role("button", name="Post your question").click()

    # The thread page: the title, the rendered Markdown and the tags.
    assert re.search(r"/t/\d+/[\w-]+/$", mail_client.url), mail_client.url
    expect(mail_client.get_by_role("heading", level=1)).to_have_text("Tablet drops wifi after sleep since 4.2")
    expect(mail_client.locator(".messages")).to_contain_text("Your question is posted")
    question = mail_client.locator("article.post").first
    expect(question.locator(".prose pre code")).to_contain_text("wlan0: deauthenticating")
    expect(question.locator(".prose ul > li")).to_have_text(
        ["Rebooted the router", "Forgot the network and joined again"]
    )
    tags = mail_client.get_by_role("list", name="Tags").get_by_role("link")
    expect(tags).to_have_count(2)
    assert sorted(tags.all_inner_texts()) == ["tablet", "wifi"]
    expect(mail_client.locator("[data-thread-status]")).to_have_text("Open")


def test_a_file_that_is_not_an_image_is_refused_and_the_question_kept(new_page, customer, settings, tmp_path):
    from forum.models import Thread

    settings.MEDIA_ROOT = tmp_path
    fake = tmp_path / "router log.png"
    fake.write_text("wlan0: deauthenticating from 00:11:22:33:44:55 by local choice\n")
    page = new_page()
    log_in(page, "jeff")
    page.goto("/ask/")
    page.get_by_label("Title").fill("Tablet drops wifi after sleep since 4.2")
    page.get_by_label("Details").fill(BODY)
    page.get_by_label("Images").set_input_files(str(fake))
    with page.expect_navigation():
        page.get_by_role("button", name="Post your question").click()

    error = page.get_by_text("router log.png is not a PNG, JPEG, GIF or WebP image.")
    expect(error).to_be_visible()
    focused = page.evaluate("document.activeElement.textContent")
    assert "router log.png is not a" in focused, f"the focus is on {focused!r}, not the error"
    expect(page.get_by_label("Title")).to_have_value("Tablet drops wifi after sleep since 4.2")
    expect(page.get_by_label("Details")).to_have_value(BODY)
    assert not Thread.objects.filter(title="Tablet drops wifi after sleep since 4.2").exists()
    shot(page, "ask-image-rejected.png", tmp_path)
