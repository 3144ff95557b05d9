"""An article's life in a real browser: staff draft it from the thread and publish it, a reader
says it didn't work for them, and the warning shows on the article and in the knowledge base."""

from __future__ import annotations

import pytest

from tests.conftest import age, make_staff, make_user
from tests.e2e.conftest import log_in
from tests.forum.knowledge_helpers import solved_thread
from tests.screenshots import save as shot

pytestmark = pytest.mark.e2e


def test_staff_draft_publish_and_a_reader_flags(new_page, transactional_db, tmp_path):
    from playwright.sync_api import expect

    from forum.actions import vendors as vendor_actions

    vendor = vendor_actions.create_vendor(name="Northwind Devices", handle="northwind", domains=["northwind.example"])
    staff = make_staff("keith", vendor)
    customer = make_user("jeff", display_name="Jeff Morrow")
    thread, _ = solved_thread(
        customer,
        staff,
        "Tablet drops wifi after sleep",
        "Turn off **MAC randomisation** in the wifi settings.",
        body="My @northwind tablet loses wifi after sleep.",
        tags="wifi tablet",
    )
    reader = make_user("mei", display_name="Mei Chen")
    age(reader)

    page = new_page()
    log_in(page, "keith")
    page.goto(thread.get_absolute_url())
    page.get_by_role("link", name="Turn this solution into an article").click()
    expect(page.locator("#id_title")).to_have_value("Tablet drops wifi after sleep")
    page.fill("#id_cause", "MAC randomisation makes the router drop the lease after sleep.")
    shot(page, "article-draft.png", tmp_path)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text("Draft, waiting for review")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("[data-status=published]")).to_be_visible()

    other = new_page({"width": 390, "height": 844})
    log_in(other, "mei")
    other.goto(page.url)
    other.get_by_text("This didn't work for me").click()
    other.fill("#id_environment", "Tablet 4, firmware 4.3")
    other.get_by_role("button", name="Tell readers and reviewers").click()
    expect(other.locator("[data-article-flags='1']")).to_contain_text("Tablet 4, firmware 4.3")
    shot(other, "article-phone.png", tmp_path)
    page.reload()
    shot(page, "article.png", tmp_path)
    other.goto("/kb/")
    expect(other.locator(".article-row")).to_contain_text("didn't work for 1 person")
    shot(other, "article-kb-phone.png", tmp_path)
    page.goto("/kb/")
    shot(page, "article-kb.png", tmp_path)
    page.goto(page.url.replace("/kb/", "/kb/review/"))
    shot(page, "article-review.png", tmp_path)
