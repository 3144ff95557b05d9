"""Escalations belong to their vendor: one lock order, duplicates, hand-offs between vendors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from forum.actions import knowledge
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, Thread
from swarm import access
from swarm.actions import claims, escalations
from swarm.models import Escalation, MeToo
from tests.conftest import client_for, make_staff, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation(thread, customer, vendor, staff) -> Escalation:
    return escalations.escalate(user=customer, thread=thread, handle="@northwind")


def test_access_helper_refuses_with_a_readable_message(escalation, other_staff):
    with transaction.atomic(), pytest.raises(PermissionDenied, match="Only verified staff of Northwind Devices"):
        access.access_escalation_for_update(
            other_staff, escalation.pk, check=access.can_work_on, message=claims.STAFF_ONLY
        )


def test_access_helper_says_when_the_escalation_is_gone(staff):
    with transaction.atomic(), pytest.raises(ValidationError, match="no longer exists"):
        access.access_escalation_for_update(staff, 987654, check=access.can_work_on, message=claims.STAFF_ONLY)


def _locked_tables(queries: list[dict]) -> list[str]:
    """The tables each FOR UPDATE query locks, in order (PostgreSQL writes FOR UPDATE; SQLite ignores it)."""
    tables = []
    for query in queries:
        sql = query["sql"]
        if "FOR UPDATE" in sql:
            tables.append(sql.split(" FROM ", 1)[1].split()[0].strip('"'))
    return tables


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are visible on PostgreSQL only")
@pytest.mark.parametrize("step", ["claim", "release", "resolve", "colleague", "vendor", "confirm", "rate"])
def test_every_escalation_action_locks_the_thread_before_the_escalation(
    step, escalation, staff, customer, vendor, other_vendor
):
    make_staff("lena", vendor)
    if step in ("release", "colleague"):
        claims.claim(staff=staff, escalation=escalation)
    if step in ("confirm", "rate"):
        claims.resolve(staff=staff, escalation=escalation)
    if step == "rate":
        claims.confirm(user=customer, escalation=escalation, solved=True)
    run = {
        "claim": lambda: claims.claim(staff=staff, escalation=escalation),
        "release": lambda: claims.release(staff=staff, escalation=escalation),
        "resolve": lambda: claims.resolve(staff=staff, escalation=escalation),
        "colleague": lambda: claims.hand_off(staff=staff, escalation=escalation, to_username="lena"),
        "vendor": lambda: claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave"),
        "confirm": lambda: claims.confirm(user=customer, escalation=escalation, solved=False),
        "rate": lambda: claims.rate(user=customer, escalation=escalation, rating=4),
    }[step]
    with CaptureQueriesContext(connection) as queries:
        run()
    locked = _locked_tables(queries.captured_queries)
    assert locked[0] == "forum_thread"
    assert locked.index("swarm_escalation") > 0


# ---- Duplicates never touch another vendor's escalation ----------------------------------------


@pytest.fixture
def canonical(other_customer, customer):
    return thread_actions.create_thread(
        author=other_customer, title="Tablet wifi drops after sleep (canonical)", body="Same problem here."
    )


def _escalation_rows(*threads) -> list[dict]:
    return list(Escalation.objects.filter(thread__in=threads).order_by("pk").values())


def _event_rows(*threads) -> list[tuple]:
    return list(
        Event.objects.filter(thread__in=threads)
        .order_by("pk")
        .values_list("pk", "thread_id", "vendor_id", "seq", "kind", "data")
    )


@pytest.mark.parametrize("who", ["other_staff", "trusted"])
def test_only_a_moderator_marks_an_escalated_thread_a_duplicate(
    request, who, thread, customer, vendor, other_vendor, other_staff, canonical
):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    # Bluewave's staff are on the thread too (they answered), which lets them mark plain threads.
    post_actions.reply(author=other_staff, thread=thread, body="Bluewave here: which carrier?")
    user = make_user("trusty", reputation=1000) if who == "trusted" else other_staff
    before = _event_rows(thread, canonical)
    with pytest.raises(PermissionDenied, match="escalated to a vendor, so only a moderator"):
        knowledge.mark_duplicate(user=user, thread=thread, canonical=canonical)
    assert Thread.objects.get(pk=thread.pk).duplicate_of_id is None
    assert _event_rows(thread, canonical) == before
    page = client_for(user).get(thread.get_absolute_url()).text
    assert "Mark as duplicate" not in page
    response = client_for(user).post(f"/t/{thread.pk}/duplicate/", {"canonical": str(canonical.pk)})
    assert response.status_code == 403
    assert "only a moderator can mark it a duplicate" in response.text
    assert Thread.objects.get(pk=thread.pk).duplicate_of_id is None


def test_a_moderators_duplicate_mark_leaves_every_escalation_where_it_is(
    thread, customer, other_customer, expert, vendor, other_vendor, staff, other_staff, moderator, canonical
):
    # Northwind solved it on this thread and was rated; Bluewave is still working on it.
    northwind = escalations.escalate(user=customer, thread=thread, handle="northwind")
    bluewave = escalations.escalate(user=customer, thread=thread, handle="bluewave")
    claims.claim(staff=staff, escalation=northwind)
    claims.resolve(staff=staff, escalation=northwind)
    claims.confirm(user=customer, escalation=northwind, solved=True)
    claims.rate(user=customer, escalation=northwind, rating=5)
    claims.claim(staff=other_staff, escalation=bluewave)
    escalations.add_metoo(user=expert, thread=thread)
    # The canonical thread has its own Northwind escalation.
    escalations.escalate(user=other_customer, thread=canonical, handle="northwind")
    escalations.add_metoo(user=expert, thread=canonical)
    rows, events = _escalation_rows(thread, canonical), _event_rows(thread, canonical)

    knowledge.mark_duplicate(user=moderator, thread=thread, canonical=canonical)

    assert _escalation_rows(thread, canonical) == rows  # same threads, states, claimants, ratings, times
    after = _event_rows(thread, canonical)
    assert after[: len(events)] == events
    assert [(e[1], e[4]) for e in after[len(events) :]] == [(thread.pk, EventKind.DUPLICATE)]
    assert MeToo.objects.filter(thread=thread).count() == 1  # me-toos stay where they were said
    assert MeToo.objects.filter(thread=canonical).count() == 1
    page = client_for(None).get(thread.get_absolute_url()).text
    banner = page.split('class="duplicate-banner"')[1].split("</div>")[0]
    assert f'href="{canonical.get_absolute_url()}"' in banner
    panel = page.split('id="swarm-panel"')[1].split("</ul>")[0]
    assert "Confirmed solved" in panel and "rated 5/5" in panel
    assert f"Claimed by <strong>{other_staff.name} (Bluewave Wireless)" in panel
