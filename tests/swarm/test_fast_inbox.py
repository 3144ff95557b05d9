"""The inbox and the vendor page stay fast with many escalations: a stored me-too count kept true by the
actions, fixed query counts, and the vendor page's figures computed in one pass and cached."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum.actions import knowledge as knowledge_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from swarm import selectors
from swarm.actions import claims, escalations, targets, teams
from swarm.models import Escalation, MeToo
from tests.conftest import age, client_for, make_user

pytestmark = pytest.mark.django_db


def _true_counts() -> dict[int, tuple[int, int]]:
    """Each escalation's stored count next to the me-toos on its thread."""
    return {
        e.pk: (e.metoo_count, MeToo.objects.filter(thread_id=e.thread_id).count()) for e in Escalation.objects.all()
    }


def _assert_counts_true() -> None:
    counts = _true_counts()
    assert counts and all(stored == real for stored, real in counts.values()), counts


def _people(*names: str):
    people = [make_user(name) for name in names]
    age(*people)
    return people


def _inbox_metoo_cells(client, thread_title: str) -> str:
    """The "N me too" cell of the thread's row in the inbox's "all" tab."""
    body = client.get("/v/northwind/inbox/", {"state": "all", "sort": "metoo"}).content.decode()
    row = next(row for row in body.split("</li>") if thread_title in row)
    return row.split('title="People with the same problem"><strong>')[1].split("<")[0]


def test_the_count_follows_me_too_and_withdrawal_on_every_escalation_of_the_thread(
    thread, customer, vendor, other_vendor, staff
):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    escalations.escalate(user=customer, thread=thread, handle="bluewave")
    ann, bob, cy = _people("ann", "bob", "cy")
    for person in (ann, bob, cy):
        escalations.add_metoo(user=person, thread=thread)
    assert sorted(e.metoo_count for e in Escalation.objects.all()) == [3, 3]
    escalations.withdraw_metoo(user=bob, thread=thread)
    _assert_counts_true()
    assert _inbox_metoo_cells(client_for(staff), thread.title) == "2"


def test_a_new_escalation_starts_with_the_threads_count_also_after_a_hand_off(
    thread, customer, vendor, other_vendor, staff
):
    ann, bob = _people("ann", "bob")
    escalations.add_metoo(user=ann, thread=thread)
    escalations.add_metoo(user=bob, thread=thread)
    mine = escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert mine.metoo_count == 2
    claims.claim(staff=staff, escalation=mine)
    theirs = claims.hand_off(staff=staff, escalation=mine, to_handle="bluewave")
    escalations.withdraw_metoo(user=ann, thread=thread)  # the finished one keeps counting: it shows under "All"
    _assert_counts_true()
    assert Escalation.objects.get(vendor=other_vendor).metoo_count == 1
    assert theirs.vendor == other_vendor


def test_marking_a_duplicate_leaves_each_threads_count_where_it_was_said(thread, customer, vendor, moderator):
    canonical = thread_actions.create_thread(author=customer, title="Wifi gone after sleep", body="Same here.")
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    escalations.escalate(user=customer, thread=canonical, handle="northwind")
    (ann,) = _people("ann")
    escalations.add_metoo(user=ann, thread=thread)
    knowledge_actions.mark_duplicate(user=moderator, thread=thread, canonical=canonical)
    _assert_counts_true()
    assert {e.thread_id: e.metoo_count for e in Escalation.objects.all()} == {thread.pk: 1, canonical.pk: 0}


def test_the_migration_fills_the_count_for_existing_escalations(thread, customer, vendor):
    other = thread_actions.create_thread(author=customer, title="Charger whines loudly", body="Loud.")
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    escalations.escalate(user=customer, thread=other, handle="northwind")
    for person in _people("ann", "bob"):
        escalations.add_metoo(user=person, thread=thread)
    Escalation.objects.update(metoo_count=0)  # as the rows were before the column existed
    import_module("swarm.migrations.0009_fast_inbox").fill_metoo_counts(apps, None)
    assert {e.thread_id: e.metoo_count for e in Escalation.objects.all()} == {thread.pk: 2, other.pk: 0}


# Every sort of the tabs that hold the first escalation, and the other filters and the radar.
INBOX_VIEWS = [{"state": state, "sort": sort} for state in ("active", "open", "all") for sort in selectors.INBOX_SORTS]
INBOX_VIEWS += [{"tag": "wifi"}, {"team": "none"}, {"who": "unclaimed"}, {"tab": "radar"}, {"fragment": "1"}]


def _inbox_queries(client) -> dict[str, int]:
    counts = {}
    for params in INBOX_VIEWS:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/v/northwind/inbox/", params).status_code == 200
        counts[str(params)] = len(ctx)
    return counts


def test_the_inbox_runs_as_many_queries_for_one_escalation_as_for_many(
    thread, customer, other_customer, vendor, vendor_admin, staff
):
    targets.set_business_hours(
        admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=[("09:00", "17:00")] * 5 + [("", "")] * 2
    )
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="8", resolution_days="5", business_hours=True
    )
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    client = client_for(staff)
    client.get("/")  # settle the session before counting
    few = _inbox_queries(client)

    laptops = teams.create_team(admin=vendor_admin, vendor=vendor, name="Laptops")
    targets.publish_targets(admin=vendor_admin, vendor=vendor, first_reply_hours="4", resolution_days="2")
    people = _people("ann", "bob", "cy")
    for i in range(12):
        t = thread_actions.create_thread(author=other_customer, title=f"Problem number {i}", body="x", tags="wifi usb")
        e = escalations.escalate(user=other_customer, thread=t, handle="northwind")
        for person in people[: i % 4]:
            escalations.add_metoo(user=person, thread=t)
        if i % 3:
            e = claims.claim(staff=staff, escalation=e)
        if i % 4 == 0:
            teams.move_to_team(staff=staff, escalation=e, team=laptops)
        if i % 5 == 0:
            post_actions.reply(author=staff, thread=t, body="Looking into it.")
    assert _inbox_queries(client) == few


def _claimed(customer, staff, hours: list[float], *, days_ago: float = 0) -> None:
    """One escalation per entry, opened ``days_ago`` days back and claimed ``hours`` after it opened."""
    now = timezone.now()
    for h in hours:
        thread = thread_actions.create_thread(author=customer, title=f"Problem {h} from {days_ago} days ago", body="x")
        escalation = claims.claim(
            staff=staff, escalation=escalations.escalate(user=customer, thread=thread, handle="northwind")
        )
        opened = now - timedelta(days=days_ago, hours=h + 1)
        claimed = opened + timedelta(hours=h)
        Escalation.objects.filter(pk=escalation.pk).update(created_at=opened, first_claimed_at=claimed)


def test_both_windows_come_from_one_pass_with_their_own_cases(customer, vendor, staff):
    _claimed(customer, staff, [1, 2, 3, 4, 5])  # this month
    _claimed(customer, staff, [10, 20, 30], days_ago=45)  # in the 90 days only
    _claimed(customer, staff, [100], days_ago=120)  # in neither
    now = timezone.now()
    thirty, ninety = selectors.vendor_figures(vendor=vendor, days=(30, 90), now=now)
    assert (thirty.escalations, thirty.median_claim, thirty.claim_cases) == (5, timedelta(hours=3), 5)
    # Eight cases: the middle two are 4 h and 5 h.
    assert (ninety.escalations, ninety.median_claim, ninety.claim_cases) == (8, timedelta(hours=4, minutes=30), 8)
    assert sum(n for _, n, _ in ninety.weekly) == 8 and sum(n for _, n, _ in thirty.weekly) == 5
    assert selectors.vendor_metrics(vendor=vendor, days=30, now=now) == thirty
    assert selectors.vendor_metrics(vendor=vendor, days=90, now=now) == ninety


def _claim_cell(client) -> str:
    return client.get("/v/northwind/").content.decode().split('data-metric="claim-30">')[1].split("</dd>")[0]


def test_the_cached_figures_show_an_action_at_once(client, customer, vendor, staff):
    _claimed(customer, staff, [1, 2, 3, 4, 5])
    assert 'data-cases="5">(5 cases)' in _claim_cell(client)
    thread = thread_actions.create_thread(author=customer, title="One more broken thing", body="x")
    claims.claim(staff=staff, escalation=escalations.escalate(user=customer, thread=thread, handle="northwind"))
    assert 'data-cases="6">(6 cases)' in _claim_cell(client)
    first_reply = 'data-metric="first-reply-30"><span class="hint" data-cases="1">not enough data yet (1 case)<'
    assert first_reply not in client.get("/v/northwind/").content.decode()
    post_actions.reply(author=staff, thread=thread, body="On it.")  # a first staff reply: no inbox wake-up
    assert first_reply in client.get("/v/northwind/").content.decode()


def test_the_figures_are_reused_until_something_changes(client, customer, vendor, staff, settings):
    _claimed(customer, staff, [1, 2, 3, 4, 5])

    def view() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/v/northwind/").status_code == 200
        return len(ctx)

    first = view()
    cached = view()
    assert cached < first  # the second reader gets the figures from the cache
    # Rows changed behind the actions' back (as time passing moves the window) show after the cache time.
    Escalation.objects.update(first_claimed_at=None)
    assert 'data-cases="5">(5 cases)' in _claim_cell(client)
    settings.BARNRAISE = {**settings.BARNRAISE, "VENDOR_FIGURES_CACHE_SECONDS": 0}
    assert 'data-cases="0">no cases yet' in _claim_cell(client)
    assert view() > cached  # not cached: every view computes them


def test_inbox_rows_escape_what_people_typed(customer, vendor, vendor_admin, staff):
    """The rows are built in Python (swarm.inbox_rows): every typed value is escaped as the template did."""
    thread = thread_actions.create_thread(author=customer, title="<script>alert(1)</script> & more", body="<b>x</b>")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    team = teams.create_team(admin=vendor_admin, vendor=vendor, name='Lap<i>tops</i> "A"')
    teams.move_to_team(staff=staff, escalation=escalation, team=team)
    body = client_for(staff).get("/v/northwind/inbox/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert 'aria-label="Select “&lt;script&gt;alert(1)&lt;/script&gt; &amp; more”"' in body
    assert '<span class="badge badge-team">Lap&lt;i&gt;tops&lt;/i&gt; &quot;A&quot;</span>' in body
    assert "<b>x</b>" not in body
