"""The vendor page's weekly chart: axes, dates and values a reader can see, and the same figures as a table."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from forum.actions import threads as thread_actions
from swarm import selectors
from swarm.actions import claims, escalations
from swarm.models import Escalation
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_vendor(customer, vendor, staff):
    """Three escalations this week (one confirmed solved) and one three weeks ago."""
    made = []
    for title in ("Dock loses display", "Tablet will not charge", "Keyboard lights stay off", "Fan is loud"):
        thread = thread_actions.create_thread(author=customer, title=title, body="Since the update.")
        made.append(escalations.escalate(user=customer, thread=thread, handle="northwind"))
    claims.resolve(staff=staff, escalation=made[0])
    claims.confirm(user=customer, escalation=made[0], solved=True)
    Escalation.objects.filter(pk=made[3].pk).update(created_at=timezone.now() - timedelta(days=21))
    return vendor


def _chart(html: str) -> str:
    return html.split('<figure class="chart panel"')[1].split("</figure>")[0]


def test_the_chart_labels_its_axes_dates_and_values_in_plain_words(busy_vendor):
    chart = _chart(unescape(client_for(None).get("/v/northwind/").text))
    assert "Problems escalated to Northwind Devices, and how many were confirmed solved, week by week" in chart
    assert "Escalated: 4 in all" in chart and "Confirmed solved: 1 in all" in chart
    svg = chart.split("<svg")[1].split("</svg>")[0]
    ticks = re.findall(r'<text class="chart-tick"[^>]*>(\d+)</text>', svg)
    assert ticks == ["0", "1", "3"]  # the value axis: zero, half way and the busiest week
    values = re.findall(r'<text class="chart-value"[^>]*>(\d+)</text>', svg)
    assert sorted(values) == ["1", "1", "3"]  # this week's 3 and 1, the 1 three weeks ago
    weeks = selectors.vendor_metrics(vendor=busy_vendor, days=90).weekly
    dates = re.findall(r'<text class="chart-date[^"]*"[^>]*>([^<]+)</text>', svg)
    assert dates[0] == f"{weeks[0][0].day} {weeks[0][0]:%b}" and len(dates) == (len(weeks) + 1) // 2
    assert 'aria-describedby="chart-desc"' in svg and "4 escalated and 1 confirmed solved in all" in svg


def test_the_chart_has_a_table_with_every_week(busy_vendor):
    chart = _chart(unescape(client_for(None).get("/v/northwind/").text))
    table = chart.split("<table")[1]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', table)
    weeks = selectors.vendor_metrics(vendor=busy_vendor, days=90).weekly
    assert len(rows) == len(weeks)
    assert rows[-1][1:] == ("3", "1")  # this week: three escalated, one confirmed solved
    assert sum(int(r[1]) for r in rows) == 4
    assert "Show the figures as a table" in chart
