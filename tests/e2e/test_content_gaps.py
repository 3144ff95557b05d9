"""Content gaps in a real browser: leaving a search page unopened sends one beacon; opening a result sends none."""

from __future__ import annotations

import time

import pytest

from forum.models import ContentGap
from tests.forum.knowledge_helpers import solved_thread

pytestmark = pytest.mark.e2e


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_leaving_an_empty_search_counts_a_gap_and_opening_a_result_does_not(new_page, customer, expert):
    solved_thread(customer, expert, "Printer shows offline", "Reserve its address in DHCP.", tags="printer")
    page = new_page()
    page.goto("/search/?q=zebra+label+printer")
    assert not ContentGap.objects.exists()  # the page itself wrote nothing
    page.goto("/kb/")  # leaving the page without opening anything
    assert _wait_for(lambda: ContentGap.objects.filter(kind="no_results", query="zebra label printer").exists())

    page.goto("/search/?q=printer+offline")
    page.get_by_role("link", name="Printer shows offline").click()
    page.wait_for_url("**/t/**")
    page.goto("/kb/")
    time.sleep(1)  # a beacon, had one been sent, has arrived by now
    assert not ContentGap.objects.filter(query="printer offline").exists()
