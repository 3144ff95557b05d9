"""Scenarios 2 and 3: people solve a thread together; authors edit and get clear form errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.e2e


def post_reply(page, thread_url: str, body: str) -> None:
    page.goto(thread_url)
    page.get_by_role("textbox", name="Your reply").fill(body)
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()


def test_reply_staff_badge_vote_accept_and_reopen(new_page, thread, customer, expert, staff):
    url = thread.get_absolute_url()

    # The expert replies from their own browser.
    dana = new_page()
    log_in(dana, "dana")
    post_reply(dana, url, "Turn off **MAC randomisation** for your home network.")
    dana_reply = dana.locator(".replies article.post[data-author=dana]")
    expect(dana_reply.locator(".prose")).to_contain_text("Turn off MAC randomisation")
    expect(dana_reply.locator(".prose strong")).to_have_text("MAC randomisation")

    # Northwind's verified staff replies, and the reply carries the staff badge.
    keith = new_page()
    log_in(keith, "keith")
    post_reply(keith, url, "We are shipping a fix in 4.2.1 next week.")
    keith_reply = keith.locator(".replies article.post[data-author=keith]")
    expect(keith_reply).to_have_class("post post-staff")
    expect(keith_reply.locator(".badge-staff")).to_have_text("Staff · Northwind Devices")
    expect(dana_reply.locator(".badge-staff")).to_have_count(0)
    expect(keith.locator(".vendors-involved")).to_contain_text("@northwind")

    # The author sees both replies, upvotes the expert's and accepts it.
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(url)
    expect(jeff.locator(".replies article.post")).to_have_count(2)
    expect(jeff.locator("[data-thread-status]")).to_have_text("Open")
    reply = jeff.locator(".replies article.post[data-author=dana]")
    expect(reply.locator("[data-score]")).to_have_text("0")
    with jeff.expect_navigation():
        reply.get_by_role("button", name="votes, upvote").click()
    expect(reply.locator("[data-score]")).to_have_text("1")
    expect(reply.locator("button.vote")).to_have_attribute("aria-pressed", "true")

    with jeff.expect_navigation():
        reply.get_by_role("button", name="Accept as answer").click()
    expect(jeff.locator("[data-thread-status]")).to_have_text("Solved")
    expect(jeff.locator(".messages")).to_contain_text("The thread now shows as Solved")
    accepted = jeff.get_by_role("region", name="✓ The answer that solved it")
    expect(accepted.locator("article.post")).to_have_attribute("data-author", "dana")
    expect(accepted).to_contain_text("Accepted answer")
    expect(accepted).to_contain_text("Turn off MAC randomisation")
    # Pinned: the accepted answer comes after the question and before the list of replies.
    order = jeff.evaluate(
        """() => {
            const q = document.querySelector('article.post');
            const a = document.querySelector('section.accepted');
            const r = document.querySelector('section.replies');
            const before = (x, y) => !!(x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING);
            return [q.closest('section') === null, before(q, a), before(a, r)];
        }"""
    )
    assert order == [True, True, True], "expected question, then accepted answer, then replies"

    # Others see it solved too.
    dana.reload()
    expect(dana.locator("[data-thread-status]")).to_have_text("Solved")

    # The author changes their mind: unaccept and reopen.
    with jeff.expect_navigation():
        jeff.get_by_role("button", name="Unaccept and reopen").click()
    expect(jeff.locator("[data-thread-status]")).to_have_text("Open")
    expect(jeff.locator(".messages")).to_contain_text("The thread is open again")
    expect(jeff.locator("section.accepted")).to_have_count(0)
    expect(reply.get_by_role("button", name="Accept as answer")).to_be_visible()


def test_edit_own_post_shows_edited(new_page, thread, customer):
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(thread.get_absolute_url())
    question = jeff.locator("article.post").first
    expect(question.locator(".edited")).to_have_count(0)
    with jeff.expect_navigation():
        question.get_by_role("link", name="Edit").click()
    expect(jeff.get_by_role("heading", level=1)).to_have_text("Edit your question")
    jeff.get_by_label("Body").fill("Since the update my tablet loses wifi after sleep. Update: also on 5 GHz.")
    with jeff.expect_navigation():
        jeff.get_by_role("button", name="Save edit").click()
    question = jeff.locator("article.post").first
    expect(question.locator(".prose")).to_contain_text("Update: also on 5 GHz.")
    expect(question.locator(".edited")).to_have_text("· edited")
    expect(jeff.locator(".messages")).to_contain_text("Your edit is saved")


def test_edit_with_too_short_title_explains_and_keeps_text(new_page, thread, customer):
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(thread.get_absolute_url())
    with jeff.expect_navigation():
        jeff.locator("article.post").first.get_by_role("link", name="Edit").click()
    jeff.get_by_label("Title").fill("Wifi?")
    jeff.get_by_label("Body").fill("My new words")
    with jeff.expect_navigation():
        jeff.get_by_role("button", name="Save edit").click()
    expect(jeff.locator(".field.has-error .field-error")).to_have_text(
        "The title is too short: say in a few words what went wrong."
    )
    expect(jeff.get_by_label("Title")).to_have_value("Wifi?")
    expect(jeff.get_by_label("Body")).to_have_value("My new words")


def test_ask_with_empty_title_shows_error_and_keeps_what_was_typed(new_page, customer):
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto("/ask/")
    jeff.get_by_label("Details").fill("The printer says `E-42` and stops.")
    jeff.get_by_label("Tags").fill("printer")
    with jeff.expect_navigation():
        jeff.get_by_role("button", name="Post your question").click()
    title_field = jeff.locator(".field.has-error")
    expect(title_field).to_have_count(1)
    expect(title_field.locator("label")).to_have_text("Title")
    expect(title_field.get_by_role("alert")).to_be_visible()
    expect(title_field.get_by_role("alert")).not_to_be_empty()
    expect(jeff.get_by_label("Title")).to_have_value("")
    expect(jeff.get_by_label("Details")).to_have_value("The printer says `E-42` and stops.")
    expect(jeff.get_by_label("Tags")).to_have_value("printer")
    expect(jeff.get_by_role("heading", level=1)).to_have_text("Ask the community")


def test_field_error_is_the_inputs_accessible_description(new_page, customer):
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto("/ask/")
    jeff.get_by_label("Details").fill("Something broke.")
    with jeff.expect_navigation():
        jeff.get_by_role("button", name="Post your question").click()
    error = jeff.locator(".field.has-error .field-error").inner_text()
    expect(jeff.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(jeff.get_by_label("Title")).to_have_accessible_description(
        f"Say what went wrong, like you would to a friend. {error}", timeout=1000
    )
