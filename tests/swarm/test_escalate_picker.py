"""The escalate picker: vendors with description, tags covered and their public first-reply median."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.actions import threads as thread_actions
from swarm.actions import escalations
from swarm.models import Escalation
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PICKER = "/vendors/suggest/"


def _escalated(customer, n: int, *, minutes: int) -> None:
    for i in range(n):
        t = thread_actions.create_thread(
            author=customer, title=f"Router number {i} keeps rebooting", body="It reboots.", tags="router firmware"
        )
        e = escalations.escalate(user=customer, thread=t, handle="northwind")
        # Test setup: a staff reply `minutes` after the escalation (what claims.reply would stamp).
        Escalation.objects.filter(pk=e.pk).update(first_staff_reply_at=e.created_at + timedelta(minutes=minutes))


def test_picker_shows_description_tags_and_not_enough_data_below_five_cases(customer, vendor, other_vendor):
    vendor.description = "Tablets and routers"
    vendor.save(update_fields=["description"])
    _escalated(customer, 4, minutes=30)
    body = client_for(customer).get(PICKER, {"picker": "1", "handle": "nor"}).content.decode()
    assert "Northwind Devices" in body and "Tablets and routers" in body
    assert "Bluewave" not in body
    assert '<span class="tag">firmware</span>' in body and '<span class="tag">router</span>' in body
    assert "not enough data yet" in body and "4 cases" in body


def test_picker_shows_the_median_with_its_sample_size(customer, vendor):
    _escalated(customer, 5, minutes=90)
    body = client_for(None).get(PICKER, {"picker": "1", "handle": ""}).content.decode()
    assert "Usually first replies in 1 h 30 min" in body
    assert "median of 5 cases" in body


def test_picker_bad_input_and_no_match(customer, vendor):
    for typed in ("\x00<script>", "zzz", "'" * 500):
        response = client_for(customer).get(PICKER, {"picker": "1", "handle": typed})
        assert response.status_code == 200
        assert "No vendor matches" in response.content.decode()


def test_escalating_through_the_picker_replaces_the_control_with_the_status(customer, thread, vendor):
    page = client_for(customer).get(thread.get_absolute_url()).content.decode()
    assert "Escalate to a vendor…" in page and "everyone sees that it was escalated" in page
    response = client_for(customer).post(f"/t/{thread.pk}/escalate/", {"pick": "northwind", "handle": "nor"})
    assert response.status_code == 302
    assert Escalation.objects.filter(thread=thread, vendor=vendor).exists()
    page = client_for(customer).get(thread.get_absolute_url()).content.decode()
    assert "Escalate to a vendor…" not in page
    assert "has it in their inbox, not yet claimed" in page


def test_the_old_note_textarea_is_gone_and_notes_come_from_the_composer(customer, thread, vendor, staff):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    page = client_for(staff).get(thread.get_absolute_url()).content.decode()
    assert 'id="note-' not in page and "A note only" not in page  # no second textarea above the question
    assert "Staff note: only Northwind Devices sees this" in page
    response = client_for(staff).post(f"/t/{thread.pk}/notes/", {"vendor": "northwind", "body": "Known bug NW-1"})
    assert response.status_code == 302
    assert "Known bug NW-1" in client_for(staff).get(thread.get_absolute_url()).content.decode()
    customer_page = client_for(customer).get(thread.get_absolute_url()).content.decode()
    assert "Known bug NW-1" not in customer_page and "Staff note: only" not in customer_page
