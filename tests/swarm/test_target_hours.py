"""Response targets in business hours: setting the hours, clocks, warnings and public shares that count open time.

Time is frozen with time-machine, so the actions stamp the moments the tests name.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, Membership
from swarm import selectors
from swarm.actions import escalations, targets
from swarm.models import Escalation, ResponseTarget
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = [("09:00", "17:00")] * 5 + [("", "")] * 2


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def _business_targets(vendor, admin, *, hours: str = "4", days: str = "", when: datetime) -> ResponseTarget:
    with time_machine.travel(when, tick=False):
        targets.set_business_hours(admin=admin, vendor=vendor, time_zone="Europe/Berlin", days=NINE_TO_FIVE)
        return targets.publish_targets(
            admin=admin, vendor=vendor, first_reply_hours=hours, resolution_days=days, business_hours=True
        )


def _ask(customer, title: str, *, when: datetime) -> Escalation:
    with time_machine.travel(when, tick=False):
        thread = thread_actions.create_thread(author=customer, title=title, body="It broke.")
        return escalations.escalate(user=customer, thread=thread, handle="northwind")


def _reply(staff, escalation: Escalation, *, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        post_actions.reply(author=staff, thread=escalation.thread, body="Looking into it now.")
    escalation.refresh_from_db()
    assert escalation.first_staff_reply_at is not None


def test_the_weekend_and_nights_do_not_count_against_a_business_hours_target(vendor, vendor_admin, staff, customer):
    _business_targets(vendor, vendor_admin, when=at(2026, 10, 1, 12, 0))
    # Friday 16:00, answered Monday 11:00: 67 hours on the calendar, 3 open hours. Met.
    friday = _ask(customer, "Asked on Friday afternoon", when=at(2026, 11, 13, 16, 0))
    _reply(staff, friday, when=at(2026, 11, 16, 11, 0))
    # Monday 09:00, answered 14:00: 5 open hours. Missed.
    monday = _ask(customer, "Asked on Monday morning", when=at(2026, 11, 16, 9, 0))
    _reply(staff, monday, when=at(2026, 11, 16, 14, 0))
    share = selectors.target_share(vendor=vendor, days=30, now=at(2026, 11, 20, 12, 0))
    assert (share.first_reply_met, share.first_reply_cases) == (1, 2)
    with time_machine.travel(at(2026, 11, 20, 12, 0), tick=False):
        page = client_for(None).get(vendor.get_absolute_url()).content.decode()
    assert '<dd data-metric="target-first-reply-30">50% <span class="hint">(1 of 2)</span>' in page
    assert "(business hours, Europe/Berlin, Mon–Fri 9–17)" in page


def test_a_case_counts_once_its_open_time_has_run_out(vendor, vendor_admin, customer):
    _business_targets(vendor, vendor_admin, when=at(2026, 10, 1, 12, 0))
    _ask(customer, "Nobody answered", when=at(2026, 11, 13, 16, 0))  # due Monday 12:00
    assert selectors.target_share(vendor=vendor, days=30, now=at(2026, 11, 16, 11, 59)).first_reply_cases == 0
    share = selectors.target_share(vendor=vendor, days=30, now=at(2026, 11, 16, 12, 0))
    assert (share.first_reply_met, share.first_reply_cases) == (0, 1)


def test_the_inbox_clock_counts_business_time_across_the_change_to_winter_time(vendor, vendor_admin, staff, customer):
    _business_targets(vendor, vendor_admin, hours="8", days="2", when=at(2026, 10, 1, 12, 0))
    # Friday 23 October 15:00 CEST; clocks go back on Sunday. Eight open hours: two on Friday,
    # six on Monday (CET), so due Monday 26 October 15:00 local; two open days: Tuesday 27th 15:00.
    escalation = _ask(customer, "Before the clocks go back", when=at(2026, 10, 23, 15, 0))
    url = reverse("swarm:inbox", args=["northwind"])

    def clocks(now: datetime) -> str:
        with time_machine.travel(now, tick=False):
            page = client_for(staff).get(url).content.decode()
        return page.split(f'data-escalation="{escalation.pk}"')[1].split("</li>")[0]

    # Sunday: 69 calendar hours have passed, but only two open ones.
    sunday = clocks(at(2026, 10, 25, 12, 0))
    assert 'data-clock="ok">First reply due' in sunday and "26 Oct" in sunday and "business hours" in sunday
    assert 'data-clock="warn">First reply due' in clocks(at(2026, 10, 26, 13, 30))  # 1.5 of 8 hours left
    late = clocks(at(2026, 10, 26, 15, 0))
    assert 'data-clock="breach">First reply target missed' in late and 'data-clock="ok">Resolution due' in late


def test_one_warning_when_a_fifth_of_the_open_time_is_left(vendor, vendor_admin, staff, customer):
    _business_targets(vendor, vendor_admin, hours="10", when=at(2026, 10, 1, 12, 0))
    escalation = _ask(customer, "Monday morning question", when=at(2026, 11, 16, 9, 0))  # due Tue 11:00
    # 8 of the 10 open hours are gone at 17:00 on Monday. At 23:00 a calendar-time target would be
    # missed already (due 19:00), so no warning; counted in open time it is due Tuesday 11:00.
    assert targets.warn_before_breach(now=at(2026, 11, 16, 16, 59)) == 0
    assert targets.warn_before_breach(now=at(2026, 11, 16, 23, 0)) == 1
    assert targets.warn_before_breach(now=at(2026, 11, 17, 10, 0)) == 0  # told once
    assert Event.objects.get(kind="target_at_risk").data["escalation"] == escalation.pk


def test_hours_changes_are_dated_in_the_public_history_and_apply_to_later_cases(vendor, vendor_admin, customer):
    _business_targets(vendor, vendor_admin, when=at(2026, 10, 1, 12, 0))
    early = _ask(customer, "Before the change", when=at(2026, 11, 13, 16, 0))
    with time_machine.travel(at(2026, 11, 14, 10, 0), tick=False):
        weekend = [("09:00", "17:00")] * 7
        targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=weekend)
    later = _ask(customer, "After the change", when=at(2026, 11, 14, 16, 0))
    with time_machine.travel(at(2026, 11, 15, 12, 0), tick=False):
        page = client_for(customer).get(vendor.get_absolute_url()).content.decode()
        inbox = client_for(make_staff("ida", vendor)).get(reverse("swarm:inbox", args=["northwind"])).content.decode()
    assert "14 Nov 2026: first reply 4 h · resolution none · business hours, Europe/Berlin, Mon–Sun 9–17" in page
    assert "1 Oct 2026: first reply 4 h · resolution none · business hours, Europe/Berlin, Mon–Fri 9–17" in page
    # The earlier case keeps the hours in force when it opened (due Monday); the later one counts Sunday.
    assert "16 Nov" in inbox.split(f'data-escalation="{early.pk}"')[1].split("</li>")[0]
    assert 'data-clock="breach"' in inbox.split(f'data-escalation="{later.pk}"')[1].split("</li>")[0]


def test_bad_hours_get_a_message_and_change_nothing(vendor, vendor_admin):
    week = list(NINE_TO_FIVE)
    cases = [
        ("Mars/Olympus", week, "not a time zone we know"),
        ("", week, "not a time zone we know"),
        ("Europe/Berlin", [("17:00", "09:00"), *week[1:]], "On Monday the closing time must come after"),
        ("Europe/Berlin", [("09:00", ""), *week[1:]], "Give both the opening and the closing time for Monday"),
        ("Europe/Berlin", [("9am", "17:00"), *week[1:]], "Monday's opening time “9am” is not a time like 09:00"),
        ("Europe/Berlin", [("25:00", "26:00"), *week[1:]], "is not a time like 09:00"),
        ("Europe/Berlin", [("", "")] * 7, "Open on at least one day"),
        ("Europe/Berlin", [("09:00", "09:30"), *[("", "")] * 6], "at least one hour a week"),
        ("Europe/Berlin", week[:3], "all seven days"),
    ]
    for zone, days, message in cases:
        with pytest.raises(ValidationError, match=message):
            targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone=zone, days=days)
    with pytest.raises(ValidationError, match="Set your business hours first"):
        targets.publish_targets(
            admin=vendor_admin, vendor=vendor, first_reply_hours="4", resolution_days="", business_hours=True
        )
    assert not ResponseTarget.objects.exists()
    targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=week)
    with pytest.raises(ValidationError, match="already your business hours"):
        targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=week)
    # A night shift is written as two days; "until 00:00" is until midnight.
    night = [("22:00", "00:00"), ("00:00", "06:00")] + [("", "")] * 5
    record = targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=night)
    assert record.hours.describe() == "Europe/Berlin, Mon 22–24, Tue 0–6"
    assert ResponseTarget.objects.count() == 2


def test_only_the_vendors_admins_change_the_hours(vendor, vendor_admin, staff, other_vendor):
    rival_admin = make_staff("olga", other_vendor, role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        targets.set_business_hours(admin=staff, vendor=vendor, time_zone="Europe/Berlin", days=NINE_TO_FIVE)
    with pytest.raises(PermissionDenied):
        targets.set_business_hours(admin=rival_admin, vendor=vendor, time_zone="Europe/Berlin", days=NINE_TO_FIVE)
    url = reverse("swarm:teams", args=["northwind"])
    form = {"op": "set_hours", "time_zone": "Europe/Berlin"} | {f"open_{d}": "09:00" for d in range(7)}
    form |= {f"close_{d}": "17:00" for d in range(7)}
    assert client_for(rival_admin).post(url, form).status_code == 403
    assert client_for(staff).post(url, form).status_code == 403  # their own staff, not an admin
    assert not ResponseTarget.objects.exists()
    page = client_for(vendor_admin).post(url, form, follow=True).content.decode()
    assert "Business hours saved." in page and "Your hours: Europe/Berlin, Mon–Sun 9–17." in page
    page = client_for(vendor_admin).post(
        url, {"op": "publish_targets", "first_reply_hours": "8", "business_hours": "on"}, follow=True
    )
    assert "Your targets count only these hours" in page.content.decode()
    assert ResponseTarget.objects.order_by("-pk").first().business_hours is True
