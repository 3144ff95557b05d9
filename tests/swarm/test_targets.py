"""Public response targets: publishing (dated history), shares met in SQL, inbox clocks, one warning before a miss.

Time is fixed by passing ``now=`` and by dating rows in the past; no clock library.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.actions import threads as thread_actions
from forum.models import Event, Notification
from swarm import selectors
from swarm.actions import claims, escalations, targets
from swarm.models import Escalation, ResponseTarget
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _escalation(customer, title: str, *, opened: datetime, reply_after=None, confirmed_after=None) -> Escalation:
    thread = thread_actions.create_thread(author=customer, title=title, body="It broke.")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    # Dating rows in the past is the test's fixed clock (the actions stamp timezone.now()).
    changes = {"created_at": opened}
    if reply_after is not None:
        changes["first_staff_reply_at"] = opened + reply_after
    if confirmed_after is not None:
        changes |= {"state": "confirmed", "confirmed_at": opened + confirmed_after, "solved_by_staff": True}
    Escalation.objects.filter(pk=escalation.pk).update(**changes)
    escalation.refresh_from_db()
    return escalation


def test_publishing_keeps_a_dated_public_history_and_refuses_bad_input(vendor, vendor_admin, staff, customer):
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="8", resolution_days="5", now=NOW - 40 * 24 * H
    )
    targets.publish_targets(admin=vendor_admin, vendor=vendor, first_reply_hours="24", resolution_days="", now=NOW)
    for hours, days, message in [
        ("0", "", "between 1 and 720"),
        ("9" * 5000, "", "between 1 and 720"),
        ("soon", "", "whole number"),
        ("", "400", "between 1 and 365"),
        ("24", "", "already the published targets"),
    ]:
        with pytest.raises(ValidationError, match=message):
            targets.publish_targets(admin=vendor_admin, vendor=vendor, first_reply_hours=hours, resolution_days=days)
    with pytest.raises(PermissionDenied):
        targets.publish_targets(admin=staff, vendor=vendor, first_reply_hours="1", resolution_days="1")
    assert ResponseTarget.objects.count() == 2
    page = client_for(customer).get(vendor.get_absolute_url()).content.decode()
    assert "First staff reply within <strong>24 hours</strong>" in page
    assert "11 Oct 2026: first reply 8 h · resolution 5 d" in page  # the lowered target stays on record
    assert "20 Nov 2026: first reply 24 h · resolution none" in page


def test_the_share_that_met_each_target_is_measured_against_the_target_then_in_force(vendor, vendor_admin, customer):
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="4", resolution_days="2", now=NOW - 60 * 24 * H
    )
    _escalation(customer, "Replied in time", opened=NOW - 50 * H, reply_after=2 * H, confirmed_after=24 * H)
    _escalation(customer, "Replied late", opened=NOW - 50 * H, reply_after=6 * H, confirmed_after=72 * H)
    _escalation(customer, "Never replied", opened=NOW - 10 * H)
    _escalation(customer, "Still within", opened=NOW - 1 * H)  # not known yet: not counted
    _escalation(customer, "Opened long ago", opened=NOW - 60 * 24 * H, reply_after=H)  # outside 30 days, inside 90
    # Lowered later: cases opened before the change keep the target they were opened under.
    targets.publish_targets(admin=vendor_admin, vendor=vendor, first_reply_hours="1", resolution_days="2", now=NOW)
    share = selectors.target_share(vendor=vendor, days=30, now=NOW)
    assert (share.first_reply_met, share.first_reply_cases) == (1, 3)
    assert (share.resolution_met, share.resolution_cases) == (1, 2)
    ninety = selectors.target_share(vendor=vendor, days=90, now=NOW)
    assert (ninety.first_reply_met, ninety.first_reply_cases) == (2, 4)


def test_the_vendor_page_shows_the_shares_with_sample_sizes(vendor, vendor_admin, customer):
    now = datetime.now(UTC)
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="4", resolution_days="", now=now - 20 * 24 * H
    )
    _escalation(customer, "Replied in time", opened=now - 50 * H, reply_after=H)
    _escalation(customer, "Replied late", opened=now - 50 * H, reply_after=5 * H)
    page = client_for(None).get(vendor.get_absolute_url()).content.decode()
    assert '<dd data-metric="target-first-reply-30">50% <span class="hint">(1 of 2)</span>' in page


def test_one_warning_before_a_miss_to_the_right_staff(vendor, vendor_admin, staff, customer):
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="10", resolution_days="", now=NOW - 30 * 24 * H
    )
    soon = _escalation(customer, "Due soon enough", opened=NOW - 9 * H)  # 1 hour left of 10: inside the 20% window
    _escalation(customer, "Plenty of time", opened=NOW - 2 * H)
    _escalation(customer, "Answered already", opened=NOW - 9 * H, reply_after=H)
    claimed = _escalation(customer, "Claimed and due", opened=NOW - 9.5 * H)
    claims.claim(staff=staff, escalation=claimed)
    Escalation.objects.filter(pk=claimed.pk).update(first_staff_reply_at=None)
    assert targets.warn_before_breach(now=NOW) == 2
    assert targets.warn_before_breach(now=NOW) == 0  # idempotent: a second run tells nobody again
    warned = Event.objects.filter(kind="target_at_risk")
    assert sorted(e.data["escalation"] for e in warned) == sorted([soon.pk, claimed.pk])
    to_staff = Notification.objects.filter(event__kind="target_at_risk")
    assert set(to_staff.filter(event__data__escalation=soon.pk).values_list("recipient__username", flat=True)) == {
        "keith",
        "nadia",
    }
    assert list(to_staff.filter(event__data__escalation=claimed.pk).values_list("recipient__username", flat=True)) == [
        "keith"
    ]


def test_the_inbox_shows_each_clock_and_warns_before_a_breach(vendor, vendor_admin, staff, customer):
    now = datetime.now(UTC)
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="10", resolution_days="3", now=now - 30 * 24 * H
    )
    warn = _escalation(customer, "Due soon enough", opened=now - 9 * H)
    late = _escalation(customer, "Missed the target", opened=now - 11 * H)
    fine = _escalation(customer, "Fresh question", opened=now - H)
    page = client_for(staff).get(reverse("swarm:inbox", args=["northwind"])).content.decode()

    def row(e):
        return page.split(f'data-escalation="{e.pk}"')[1].split("</li>")[0]

    assert 'data-clock="warn">First reply due' in row(warn)
    assert 'data-clock="breach">First reply target missed' in row(late)
    assert 'data-clock="ok">First reply due' in row(fine) and 'data-clock="ok">Resolution due' in row(fine)


def test_an_admin_publishes_targets_on_the_teams_page(vendor, vendor_admin):
    client = client_for(vendor_admin)
    url = reverse("swarm:teams", args=["northwind"])
    page = client.post(url, {"op": "publish_targets", "first_reply_hours": "12"}, follow=True).content.decode()
    assert "Targets published." in page and "<strong>12 hours</strong>" in page
    assert page.count('id="targets-heading"') == 1
    refused = client.post(url, {"op": "publish_targets", "first_reply_hours": "http://x"}, follow=True)
    assert "must be a whole number" in refused.content.decode()
    assert ResponseTarget.objects.count() == 1
