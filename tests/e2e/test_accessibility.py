"""Every main page, in light and dark, passes axe-core with no violation and breaks no CSP rule.

axe-core's engine comes from PyPI's axe-playwright-python wheel (its bundled axe.min.js);
it runs through Playwright's evaluate, which the page's CSP does not govern.
"""

from __future__ import annotations

import functools
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from swarm.actions import escalations
from tests.conftest import age

from .conftest import log_in

pytestmark = pytest.mark.e2e

TABLE_REPLY = """Compare the two settings:

| Setting | Before | After |
|:--------|:------:|------:|
| Wi-Fi during sleep | Never | Always |
"""


@functools.cache
def axe_source() -> str:
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA findings on the page as it is now, one line per rule and node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}, resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:160]}"
        for v in results["violations"]
        for node in v["nodes"]
    ]


@pytest.fixture
def scene(thread, customer, expert, staff, vendor):
    """A thread as people find it: a reply with an aligned table, escalated to a vendor."""
    age(customer, expert, staff)
    post_actions.reply(author=expert, thread=thread, body=TABLE_REPLY)
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    return thread


PAGES_FOR_VISITORS = ["/", "thread", "/search/?q=wifi", "/tags/", "/kb/", "/leaders/", "/badges/", "/v/northwind/"]
PAGES_FOR_MEMBERS = ["thread", "/ask/", "/notifications/", "/settings/", "/v/northwind/inbox/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_have_no_axe_violations(new_page, scene, staff, scheme):
    page = new_page()
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in PAGES_FOR_VISITORS:
        page.goto(scene.get_absolute_url() if path == "thread" else path)
        found[f"visitor {path}"] = axe_violations(page)
    log_in(page, staff.username)
    for path in PAGES_FOR_MEMBERS:
        page.goto(scene.get_absolute_url() if path == "thread" else path)
        found[f"staff {path}"] = axe_violations(page)
    found = {where: issues for where, issues in found.items() if issues}
    assert not found, found
    # new_page's teardown fails the test on any Content Security Policy report from these pages.


def test_an_aligned_table_renders_without_inline_styles(new_page, scene):
    """Markdown table alignment used to come out as style="text-align: …", which the CSP blocks."""
    page = new_page()
    page.goto(scene.get_absolute_url())
    cell = page.locator(".prose td", has_text="Always")
    expect(cell).to_have_css("text-align", "right")
    expect(page.locator(".prose [style]")).to_have_count(0)
    assert page.console.csp_violations() == []


def test_live_notices_are_readable_and_named(new_page, scene, customer):
    """The live widgets: the error notice has enough contrast, the new-replies button has a name."""
    page = new_page()
    log_in(page, customer.username)
    page.goto(scene.get_absolute_url())
    page.evaluate(
        """() => { document.querySelector('.live-error').textContent = 'Live updates stopped: test';
                   const b = document.querySelector('.new-replies');
                   b.hidden = false; b.textContent = '2 new replies'; }"""
    )
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert axe_violations(page) == [], scheme
    expect(page.get_by_role("alert").filter(has_text="Live updates stopped")).to_be_visible()
    expect(page.get_by_role("button", name="2 new replies")).to_be_visible()
    expect(page.locator(".live-announcer")).to_have_attribute("aria-live", "polite")


def test_a_form_that_comes_back_with_errors_focuses_them(new_page, scene, customer):
    page = new_page()
    log_in(page, customer.username)
    page.goto("/ask/")
    page.fill("input[name=title]", "Wifi")
    page.fill("textarea[name=body]", "It drops.")
    with page.expect_navigation():
        page.get_by_role("button", name="Post your question").click()  # not the footer's language picker
    error = page.locator(".field-error, .form-errors").first
    expect(error).to_be_visible()
    focused = page.evaluate("() => document.activeElement.closest('.form-errors, .field-error') !== null")
    assert focused, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
