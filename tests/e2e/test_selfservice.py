"""Self-service: typing a question on /ask/ shows solved threads live; opening one counts as a deflection."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.forum import knowledge_helpers

from .conftest import log_in

wifi_solved = knowledge_helpers.wifi_solved

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_typing_a_title_suggests_a_solved_thread_and_opening_it_counts_as_deflection(
    new_page, wifi_solved, other_customer, viewport
):
    page = new_page(viewport=viewport)
    log_in(page, "mei")
    page.goto("/ask/")
    loaded = page.evaluate("performance.timeOrigin")
    page.get_by_label("Title").press_sequentially("my tablet loses wifi", delay=30)

    suggestions = page.get_by_role("list", name="Already answered?")
    link = suggestions.get_by_role("link", name="Tablet drops wifi after sleep")
    expect(link).to_be_visible()
    expect(suggestions).to_contain_text("Turn off MAC randomisation in the wifi settings.")
    assert page.evaluate("performance.timeOrigin") == loaded  # no reload: htmx swapped the fragment in

    form_box = page.locator("form.panel").bounding_box()
    box = page.locator("#ask-suggest").bounding_box()
    body_box = page.get_by_label("Details").bounding_box()
    if viewport["width"] > 760:
        assert box["x"] >= form_box["x"] + form_box["width"]  # beside the form
    else:
        assert box["y"] + box["height"] <= body_box["y"]  # on a phone: above the body field

    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tablet drops wifi after sleep")
    assert "from=ask" not in page.url

    page.goto("/stats/")
    expect(page.locator('[data-stat="deflections-1"]')).to_have_text("1")
    expect(page.locator('[data-stat="deflections-2"]')).to_have_text("1")


def test_garbage_title_shows_nothing(new_page, wifi_solved, other_customer):
    page = new_page()
    log_in(page, "mei")
    page.goto("/ask/")
    with page.expect_response(lambda r: "/ask/suggest/" in r.url) as response:
        page.get_by_label("Title").fill("zzqxv wqpfh")
    assert response.value.status == 200
    expect(page.locator("#ask-suggest")).to_be_empty()
    expect(page.get_by_role("heading", name="Before you post")).to_be_visible()
