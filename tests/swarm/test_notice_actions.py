"""Actions in place on the notification list: "Claim" for the vendor's staff, "Confirm solved" for the asker.

They post to the thread page's endpoints, so the same actions and permission rules apply; the
list shows where each escalation stands, and a repeated click changes nothing.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from forum.actions import threads as thread_actions
from forum.models import Event, EventKind
from swarm.actions import claims, escalations
from swarm.models import Escalation
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation(customer, vendor, staff) -> Escalation:
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update.")
    return escalations.escalate(user=customer, thread=thread, handle="northwind")


def inbox(client) -> str:
    return unescape(client.get("/notifications/").text)


def form_of(page: str, button: str) -> tuple[str, dict]:
    """The action and fields of the form holding ``button``, as the browser would send them."""
    for form in re.findall(r"<form [^>]*>.*?</form>", page, flags=re.S):
        if f">{button}<" in form:
            action = re.search(r'action="([^"]+)"', form).group(1)
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
            value = re.search(rf'name="solved" value="(\w+)"[^>]*>{button}<', form)
            return action, fields | ({"solved": value.group(1)} if value else {})
    raise AssertionError(f"no {button!r} form on the page")


def test_staff_claim_from_the_notification_list_once(escalation, staff):
    client = client_for(staff)
    action, fields = form_of(inbox(client), "Claim")
    assert action == f"/e/{escalation.pk}/claim/"
    response = client.post(action, fields, follow=True)
    assert response.redirect_chain[-1][0].startswith("/notifications/#notice-")
    page = unescape(response.text)
    assert "You claimed it. Everyone on the thread can see that." in page
    assert f"Claimed by {staff.name}" in page and ">Claim<" not in page
    again = unescape(client.post(action, fields, follow=True).text)  # a double click
    assert "You have already claimed this escalation." in again
    assert Event.objects.filter(kind=EventKind.CLAIMED).count() == 1


def test_a_colleague_sees_who_claimed_it_instead_of_a_button(customer, staff, vendor):
    colleague = make_staff("lena", vendor)
    thread = thread_actions.create_thread(author=customer, title="Fan is loud", body="Always.")
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert ">Claim<" in inbox(client_for(colleague))
    claims.claim(staff=staff, escalation=escalation)
    page = inbox(client_for(colleague))
    assert f"Claimed by {staff.name}" in page
    assert ">Claim<" not in page


def test_the_asker_confirms_solved_from_the_notification_list_once(escalation, customer, staff):
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    client = client_for(customer)
    page = inbox(client)
    assert "marked your escalation resolved" in page
    action, fields = form_of(page, "Confirm solved")
    assert fields["solved"] == "yes"
    page = unescape(client.post(action, fields, follow=True).text)
    assert "Thanks! It's marked solved." in page
    assert "✓ Confirmed solved" in page and ">Confirm solved<" not in page
    assert "You already confirmed this is solved." in unescape(client.post(action, fields, follow=True).text)
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.CONFIRMED
    assert Event.objects.filter(kind=EventKind.CONFIRMED).count() == 1


def test_the_same_rules_as_on_the_thread_page(escalation, customer, other_customer, staff):
    claims.resolve(staff=staff, escalation=escalation)
    assert client_for(other_customer).post(f"/e/{escalation.pk}/claim/", {"next": "/notifications/"}).status_code == 403
    confirm = {"solved": "yes", "next": "/notifications/"}
    assert client_for(other_customer).post(f"/e/{escalation.pk}/confirm/", confirm).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.post(f"/e/{escalation.pk}/confirm/", confirm).status_code == 403  # no CSRF token
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.RESOLVED


def test_a_next_off_this_site_goes_back_to_the_thread(escalation, staff):
    response = client_for(staff).post(f"/e/{escalation.pk}/claim/", {"next": "https://evil.example/"})
    assert response["Location"] == escalation.thread.get_absolute_url()


def test_the_notification_list_reads_escalations_in_a_fixed_number_of_queries(customer, vendor, staff):
    client = client_for(staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/notifications/").status_code == 200
        return len(queries)

    thread = thread_actions.create_thread(author=customer, title="First problem", body="Broken.")
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    one = count()
    for title in ("Second problem", "Third problem", "Fourth problem"):
        thread = thread_actions.create_thread(author=customer, title=title, body="Broken.")
        escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert count() == one
    assert inbox(client).count(">Claim<") == 4
