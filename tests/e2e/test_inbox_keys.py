"""The inbox keyboard in a real browser: ? shows the overlay, j/k move, c claims, x selects for a bulk move."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.actions import threads as thread_actions
from swarm.actions import escalations, teams
from swarm.models import Escalation

from .conftest import log_in

pytestmark = pytest.mark.e2e


def test_keyboard_shortcuts_claim_and_bulk_move(page, customer, staff, vendor, vendor_admin):
    tablets = teams.create_team(admin=vendor_admin, vendor=vendor, name="Tablets")
    first, second = (
        escalations.escalate(
            user=customer,
            thread=thread_actions.create_thread(author=customer, title=title, body="It broke."),
            handle="northwind",
        )
        for title in ("Dock loses display", "Pen stops drawing")
    )
    log_in(page, "keith")
    page.goto("/v/northwind/inbox/?sort=age")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator(f'[data-escalation="{first.pk}"]')).to_have_attribute("aria-current", "true")
    with page.expect_navigation():
        page.keyboard.press("c")
    assert Escalation.objects.get(pk=first.pk).claimed_by == staff

    page.goto("/v/northwind/inbox/?sort=age")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(f'[data-escalation="{second.pk}"] [data-row-select]')).to_be_checked()
    # The bulk bar reads as one line on a desktop: its select is as wide as its options, not the page.
    bar = page.locator("#inbox-bulk")
    one_line = bar.evaluate(
        """f => { const boxes = [...f.querySelectorAll('button, select')].map(el => el.getBoundingClientRect());
            return Math.max(...boxes.map(b => b.top)) < Math.min(...boxes.map(b => b.bottom)); }"""
    )
    assert one_line, "the bulk actions spread over several lines"
    assert bar.locator("select").evaluate("s => s.getBoundingClientRect().width") < 300
    page.locator("#inbox-bulk select[name=team]").select_option(label="Tablets")
    with page.expect_navigation():
        page.locator("#inbox-bulk button[value=move]").click()
    expect(page.get_by_text("Done for 1 escalation.")).to_be_visible()
    assert Escalation.objects.get(pk=second.pk).team == tablets
