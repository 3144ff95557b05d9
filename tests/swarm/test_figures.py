"""The vendor page's figures can't be inflated: who rates, what counts as resolved, and whose credit it is."""

from __future__ import annotations

from html import unescape

import pytest

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from swarm import selectors
from swarm.actions import claims, escalations
from swarm.models import Escalation
from tests.conftest import client_for
from tests.forum.api_helpers import _fresh_rate_limits, assert_error, token_client  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(customer, vendor, staff) -> Escalation:
    """An escalation Northwind's staff resolved and the customer confirmed solved, not yet rated."""
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    return claims.confirm(user=customer, escalation=escalation, solved=True)


def test_a_second_rating_through_the_web_is_refused_and_the_first_stays(confirmed, customer):
    client = client_for(customer)
    client.post(f"/e/{confirmed.pk}/rate/", {"rating": "5"})
    response = client.post(f"/e/{confirmed.pk}/rate/", {"rating": "1"}, follow=True)
    assert "You already rated Northwind Devices's help 5/5; a rating can't be changed." in unescape(
        response.content.decode()
    )
    confirmed.refresh_from_db()
    assert confirmed.rating == 5
    assert selectors.vendor_metrics(vendor=confirmed.vendor, days=30).ratings == 1


def test_only_the_author_rates_through_the_web(confirmed, other_customer, staff):
    for person in (other_customer, staff):
        response = client_for(person).post(f"/e/{confirmed.pk}/rate/", {"rating": "5"})
        assert response.status_code == 403
    confirmed.refresh_from_db()
    assert confirmed.rating is None


def test_staff_who_asked_their_own_vendor_cannot_rate_it(vendor, staff):
    thread = thread_actions.create_thread(author=staff, title="Our own dock flickers", body="Seen in the lab")
    escalation = escalations.escalate(user=staff, thread=thread, handle="northwind")
    claims.resolve(staff=staff, escalation=escalation)
    claims.confirm(user=staff, escalation=escalation, solved=True)
    client = client_for(staff)
    assert "Send rating" not in client.get(thread.get_absolute_url()).content.decode()
    response = client.post(f"/e/{escalation.pk}/rate/", {"rating": "5"})
    assert response.status_code == 403
    assert "you can't rate your own vendor's help" in unescape(response.content.decode())
    assert_error(token_client(staff).post(f"/api/escalations/{escalation.pk}/rating", {"rating": 5}), 403)
    escalation.refresh_from_db()
    assert escalation.rating is None


def test_rating_through_the_api_once_and_only_by_the_author(confirmed, customer, other_customer):
    stranger = token_client(other_customer).post(f"/api/escalations/{confirmed.pk}/rating", {"rating": 5})
    assert_error(stranger, 403)
    api = token_client(customer)
    first = api.post(f"/api/escalations/{confirmed.pk}/rating", {"rating": 4, "comment": "Quick."})
    assert first.status_code == 200, first.content
    assert first.json()["rating"] == 4
    again = api.post(f"/api/escalations/{confirmed.pk}/rating", {"rating": 1})
    assert "can't be changed" in assert_error(again, 409, "already_rated")["message"]
    assert_error(api.post(f"/api/escalations/{confirmed.pk}/rating", {"rating": 9}), 422)
    confirmed.refresh_from_db()
    assert confirmed.rating == 4


def test_confirming_through_the_api_is_the_authors_alone(customer, other_customer, vendor, staff):
    thread = thread_actions.create_thread(author=customer, title="Pen stops pairing", body="Since Monday")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    claims.resolve(staff=staff, escalation=escalation)
    assert_error(token_client(other_customer).post(f"/api/escalations/{escalation.pk}/confirm", {"solved": True}), 403)
    assert_error(token_client(staff).post(f"/api/escalations/{escalation.pk}/confirm", {"solved": True}), 403)
    response = token_client(customer).post(f"/api/escalations/{escalation.pk}/confirm", {"solved": True})
    assert response.status_code == 200 and response.json()["state"] == "confirmed"


def test_staff_marking_resolved_is_not_a_resolution_until_the_customer_confirms(client, customer, vendor, staff):
    thread = thread_actions.create_thread(author=customer, title="Fan always on", body="Loud at night")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    claims.resolve(staff=staff, escalation=escalation)
    metrics = selectors.vendor_metrics(vendor=vendor, days=30)
    assert metrics.resolved == 0
    assert metrics.resolution_cases == 0
    body = client.get("/v/northwind/").content.decode()
    assert "resolved by staff, waiting for the customer to confirm" in body
    claims.confirm(user=customer, escalation=escalation, solved=True)
    assert selectors.vendor_metrics(vendor=vendor, days=30).resolved == 1


def test_resolution_credit_goes_to_the_vendor_whose_staff_solved_it(customer, vendor, other_vendor, staff, other_staff):
    """Both vendors were asked; Northwind's staff answered. Bluewave gets no resolution for it."""
    thread = thread_actions.create_thread(author=customer, title="Hotspot drops calls", body="Both ends")
    mine = escalations.escalate(user=customer, thread=thread, handle="northwind")
    theirs = escalations.escalate(user=customer, thread=thread, handle="bluewave")
    answer = post_actions.reply(author=staff, thread=thread, body="Update the modem firmware.")
    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    claims.confirm(user=customer, escalation=mine, solved=True)
    claims.confirm(user=customer, escalation=theirs, solved=True)

    northwind = selectors.vendor_metrics(vendor=vendor, days=30)
    bluewave = selectors.vendor_metrics(vendor=other_vendor, days=30)
    assert (northwind.solved_by_staff, northwind.solved_by_community) == (1, 0)
    assert northwind.resolution_cases == 1
    assert (bluewave.solved_by_staff, bluewave.solved_by_community) == (0, 1)
    assert bluewave.resolution_cases == 0  # Bluewave's staff resolved nothing


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def test_opening_the_inbox_writes_nothing_and_shows_idle_claims(customer, vendor, staff, settings):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from forum.models import Event, EventKind

    thread = thread_actions.create_thread(author=customer, title="Stylus lag", body="Since 3.2")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    claims.claim(staff=staff, escalation=escalation)
    idle_since = timezone.now() - timedelta(hours=settings.BARNRAISE["CLAIM_IDLE_HOURS"] + 1)
    Escalation.objects.filter(pk=escalation.pk).update(last_staff_activity_at=idle_since)
    events = Event.objects.count()
    client = client_for(staff)
    client.get("/")  # settle the session before measuring
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/v/northwind/inbox/")
        client.get("/v/northwind/inbox/", {"fragment": "1"})
    assert page.status_code == 200
    assert [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)] == []
    assert Event.objects.count() == events
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.CLAIMED  # the background job releases it, not a page view
    assert ">idle</span>" in page.content.decode()
    assert claims.release_idle_claims() == 1
    assert Event.objects.filter(thread=thread, kind=EventKind.RELEASED, data__reason="idle").exists()


def _escalations_claimed_after(customer, staff, hours: list[float]) -> list[Escalation]:
    """One escalation per entry, opened ``hours`` before Northwind's staff claimed it."""
    from datetime import timedelta

    from django.utils import timezone

    made = []
    now = timezone.now()
    for i, h in enumerate(hours):
        thread = thread_actions.create_thread(author=customer, title=f"Problem number {i} here", body="x")
        escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
        claims.claim(staff=staff, escalation=escalation)
        Escalation.objects.filter(pk=escalation.pk).update(
            created_at=now - timedelta(hours=h + 1), first_claimed_at=now - timedelta(hours=1)
        )
        made.append(escalation)
    return made


def test_fewer_than_five_cases_show_no_median_but_the_sample_size(client, customer, vendor, staff):
    _escalations_claimed_after(customer, staff, [1, 2, 30, 40])
    metrics = selectors.vendor_metrics(vendor=vendor, days=30)
    assert (metrics.median_claim, metrics.claim_cases) == (None, 4)
    body = client.get("/v/northwind/").content.decode()
    assert 'data-metric="claim-30"><span class="hint" data-cases="4">not enough data yet (4 cases)<' in body
    assert 'data-metric="first-reply-30"><span class="hint" data-cases="0">no cases yet<' in body


def test_five_cases_show_the_median_with_its_sample_size(client, customer, vendor, staff):
    from datetime import timedelta

    _escalations_claimed_after(customer, staff, [1, 2, 3, 40, 50])
    assert selectors.vendor_metrics(vendor=vendor, days=30).median_claim == timedelta(hours=3)
    _escalations_claimed_after(customer, staff, [4])  # six: the middle two are 3 h and 4 h
    metrics = selectors.vendor_metrics(vendor=vendor, days=30)
    assert (metrics.median_claim, metrics.claim_cases) == (timedelta(hours=3, minutes=30), 6)
    body = client.get("/v/northwind/").content.decode()
    assert 'data-cases="6">(6 cases)</span>' in body.split('data-metric="claim-30">')[1].split("</dd>")[0]


def test_the_average_rating_needs_five_ratings_and_shows_how_many(client, customer, vendor, staff):
    def rate(escalation: Escalation, rating: int) -> None:
        claims.resolve(staff=staff, escalation=escalation)
        claims.confirm(user=customer, escalation=escalation, solved=True)
        claims.rate(user=customer, escalation=escalation, rating=rating)

    *four, fifth = _escalations_claimed_after(customer, staff, [1] * 5)
    for escalation, rating in zip(four, [5, 5, 4, 1], strict=True):
        rate(escalation, rating)
    metrics = selectors.vendor_metrics(vendor=vendor, days=30)
    assert (metrics.average_rating, metrics.ratings) == (None, 4)
    rate(fifth, 5)
    metrics = selectors.vendor_metrics(vendor=vendor, days=30)
    assert (metrics.average_rating, metrics.ratings) == (4.0, 5)
    rating = client.get("/v/northwind/").content.decode().split('data-metric="rating-30">')[1].split("</dd>")[0]
    assert rating == '4.0 / 5 <span class="hint" data-cases="5">(5 cases)</span>'
