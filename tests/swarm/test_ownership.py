"""Escalations belong to their vendor: one lock order, duplicates, hand-offs between vendors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from forum.actions import knowledge
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, Thread
from swarm import access, selectors
from swarm.actions import claims, escalations
from swarm.models import Escalation, MeToo
from tests.conftest import age, client_for, make_staff, make_user
from tests.forum.api_helpers import _fresh_rate_limits, key_client  # noqa: F401

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
    """The tables each locking query locks, in order (PostgreSQL writes FOR [NO KEY] UPDATE; SQLite ignores it)."""
    tables = []
    for query in queries:
        sql = query["sql"]
        if "FOR UPDATE" in sql or "FOR NO KEY UPDATE" in sql:
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
    age(expert)  # old enough to say "me too"
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


# ---- Hand-offs between vendors ----------------------------------------------------------------


def _panel(user, thread) -> str:
    page = client_for(user).get(thread.get_absolute_url()).text
    return page.split('id="swarm-panel"')[1].split("</section>")[0]


def test_a_hand_off_ends_the_passing_vendors_escalation_as_handed_off(
    escalation, thread, customer, staff, other_vendor, vendor, reply
):
    claims.claim(staff=staff, escalation=escalation)
    claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.HANDED_OFF
    assert escalation.handed_to == other_vendor and escalation.handed_off_at is not None
    assert (escalation.resolved_at, escalation.resolved_by, escalation.claimed_by) == (None, None, None)
    assert "Handed off to" in _panel(None, thread) and "@bluewave</a>" in _panel(None, thread)

    # The customer is never asked to confirm it, not even once the thread is solved.
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    panel = _panel(customer, thread)
    assert "(escalation to @northwind)" not in panel and "(escalation to @bluewave)" in panel
    with pytest.raises(ValidationError, match="nothing to confirm"):
        claims.confirm(user=customer, escalation=escalation, solved=True)

    # No resolution credit for Northwind, and it leaves Northwind's open tabs.
    figures = selectors.vendor_metrics(vendor=vendor, days=30)
    assert (figures.escalations, figures.open, figures.resolved) == (1, 0, 0)
    assert (figures.solved_by_staff, figures.solved_by_community, figures.median_resolution) == (0, 0, None)
    assert sum(confirmed for _, _, confirmed in figures.weekly) == 0
    for state in ("active", "open", "claimed", "resolved", "confirmed"):
        assert selectors.inbox(vendor=vendor, state=state).rows == []
    box = selectors.inbox(vendor=vendor, state="handed_off")
    assert [e.pk for e in box.rows] == [escalation.pk] and box.counts["active"] == 0


def test_working_on_a_handed_off_escalation_is_refused_with_its_reason(escalation, staff, other_vendor):
    claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    for step in (claims.claim, claims.resolve):
        with pytest.raises(ValidationError, match="handed this off to @bluewave; it is theirs now"):
            step(staff=staff, escalation=escalation)
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.HANDED_OFF


def test_a_hand_off_opens_a_new_case_and_never_reopens_a_finished_rated_one(
    escalation, thread, customer, staff, other_vendor, other_staff
):
    earlier = escalations.escalate(user=customer, thread=thread, handle="bluewave")
    claims.resolve(staff=other_staff, escalation=earlier)
    claims.confirm(user=customer, escalation=earlier, solved=True)
    claims.rate(user=customer, escalation=earlier, rating=2, comment="Slow.")
    before = Escalation.objects.filter(pk=earlier.pk).values().get()

    received = claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")

    assert received.pk != earlier.pk and received.state == Escalation.State.OPEN
    assert Escalation.objects.filter(pk=earlier.pk).values().get() == before  # still confirmed, rated 2
    assert Escalation.objects.filter(thread=thread, vendor=other_vendor).count() == 2
    assert "rated 2/5" in _panel(None, thread)


def test_hand_off_to_a_vendor_already_working_on_it_is_refused(escalation, thread, customer, staff, other_vendor):
    escalations.escalate(user=customer, thread=thread, handle="bluewave")
    with pytest.raises(ValidationError, match="@bluewave is already working on this thread"):
        claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN


def test_double_hand_off_there_and_back(escalation, thread, staff, vendor, other_vendor, other_staff):
    at_bluewave = claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    back = claims.hand_off(staff=other_staff, escalation=at_bluewave, to_handle="northwind")
    rows = {
        e.pk: (e.vendor.handle, e.state, e.handed_to.handle if e.handed_to else None)
        for e in Escalation.objects.filter(thread=thread).select_related("vendor", "handed_to")
    }
    assert rows == {
        escalation.pk: ("northwind", "handed_off", "bluewave"),
        at_bluewave.pk: ("bluewave", "handed_off", "northwind"),
        back.pk: ("northwind", "open", None),
    }
    assert back.pk != escalation.pk and back.handed_from == other_vendor
    claims.claim(staff=staff, escalation=back)  # Northwind works on its new case
    assert Escalation.objects.ongoing().filter(thread=thread).count() == 1


def test_the_database_allows_one_ongoing_escalation_per_thread_and_vendor(escalation, thread, customer, vendor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(thread=thread, vendor=vendor, escalated_by=customer)
    Escalation.objects.filter(pk=escalation.pk).update(state=Escalation.State.CONFIRMED)
    Escalation.objects.create(thread=thread, vendor=vendor, escalated_by=customer)  # a finished one is history


def test_the_api_shows_the_handed_off_state(escalation, staff, vendor_admin, vendor, other_vendor):
    claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    api = key_client(vendor_admin, vendor)
    item = api.get(f"/api/escalations/{escalation.pk}").json()
    assert (item["state"], item["handed_to"], item["resolved_at"]) == ("handed_off", "bluewave", None)
    listed = api.get("/api/escalations", state="handed_off", vendor="northwind").json()["items"]
    assert [e["id"] for e in listed] == [escalation.pk]
    schema = api.get("/api/openapi.json").json()["components"]["schemas"]["EscalationOut"]
    assert "handed_off" in schema["properties"]["state"]["enum"]


def test_posts_after_a_hand_off_move_only_the_ongoing_escalation(escalation, thread, customer, staff, other_vendor):
    received = claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave")
    escalation.refresh_from_db()
    finished = Escalation.objects.filter(pk=escalation.pk).values().get()
    post_actions.reply(author=staff, thread=thread, body="Bluewave has it now; following along.")
    post_actions.reply(author=customer, thread=thread, body="Thanks, waiting for Bluewave.")
    assert Escalation.objects.filter(pk=escalation.pk).values().get() == finished  # no late "first reply"
    received.refresh_from_db()
    assert received.customer_posted_at > finished["handed_off_at"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_earlier_hand_offs_their_own_end_state(customer, vendor, other_vendor, staff):
    """Before 0003 a hand-off left the passing vendor's escalation "resolved"; it becomes handed_off."""
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    thread = thread_actions.create_thread(author=customer, title="Old hand-off", body="From before the upgrade.")
    other = thread_actions.create_thread(author=customer, title="Old resolution", body="Really resolved.")
    executor = MigrationExecutor(connection)
    executor.migrate([("swarm", "0002_escalations")])
    old = executor.loader.project_state([("swarm", "0002_escalations")]).apps.get_model("swarm", "Escalation")
    now = timezone.now()
    passed = old.objects.create(
        thread_id=thread.pk, vendor_id=vendor.pk, escalated_by_id=customer.pk, state="resolved",
        resolved_at=now, resolved_by_id=staff.pk,
    )  # fmt: skip
    old.objects.create(
        thread_id=thread.pk, vendor_id=other_vendor.pk, escalated_by_id=staff.pk, handed_from_id=vendor.pk,
        created_at=now, state="open",
    )  # fmt: skip
    resolved = old.objects.create(
        thread_id=other.pk, vendor_id=vendor.pk, escalated_by_id=customer.pk, state="resolved",
        resolved_at=now, resolved_by_id=staff.pk,
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    passed = Escalation.objects.get(pk=passed.pk)
    assert (passed.state, passed.handed_to_id, passed.resolved_at) == ("handed_off", other_vendor.pk, None)
    assert passed.handed_off_at == now
    assert Escalation.objects.get(pk=resolved.pk).state == "resolved"
