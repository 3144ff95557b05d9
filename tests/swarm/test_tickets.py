"""Ticket links: the vendor's own ticket on the thread, through the API (vendor key) and the thread panel."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from config.asgi import application
from forum.actions import api as api_actions
from forum.models import Event
from swarm.actions import escalations, tickets
from swarm.models import TicketLink
from tests.conftest import client_for
from tests.forum.api_helpers import _fresh_rate_limits, assert_error, key_client, token_client  # noqa: F401
from tests.forum.test_api_webhooks import receiver, run_worker  # noqa: F401

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]
TICKET = {"key": "NW-1234", "url": "https://jira.northwind.example/browse/NW-1234", "status": "In progress"}


@pytest.fixture
def escalated(thread, customer, vendor):
    return escalations.escalate(user=customer, thread=thread, handle="northwind")


@pytest.mark.django_db
def test_a_vendor_key_links_a_ticket_and_everyone_sees_it_on_the_thread(escalated, thread, vendor, vendor_admin):
    api = key_client(vendor_admin, vendor)
    response = api.post(f"/api/escalations/{escalated.pk}/ticket", TICKET)
    assert response.status_code == 200, response.content
    assert response.json()["key"] == "NW-1234"
    page = client_for(None).get(thread.get_absolute_url()).content.decode()
    assert "Tracked as" in page and "NW-1234</a> · In progress" in page
    event = Event.objects.get(thread=thread, kind="ticket_linked")
    assert event.vendor_id is None and event.data["status"] == "In progress"


@pytest.mark.django_db
def test_a_status_change_is_one_event_and_repeating_it_changes_nothing(escalated, thread, vendor, vendor_admin):
    api = key_client(vendor_admin, vendor)
    api.post(f"/api/escalations/{escalated.pk}/ticket", TICKET)
    response = api.post(f"/api/escalations/{escalated.pk}/ticket", TICKET | {"status": "Fixed in 2.1"})
    assert response.status_code == 200
    event = Event.objects.get(thread=thread, kind="ticket_status")
    assert (event.data["previous_status"], event.data["status"]) == ("In progress", "Fixed in 2.1")
    assert_error(api.post(f"/api/escalations/{escalated.pk}/ticket", TICKET | {"status": "Fixed in 2.1"}), 400)
    assert Event.objects.filter(thread=thread, kind__startswith="ticket_").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "javascript:alert(1)"}, "http:// or https://"),
        ({"url": "ftp://files.example/NW-1"}, "http:// or https://"),
        ({"url": "https://x.example/" + "a" * 600}, "URL under 500"),
        ({"status": "x" * 10_000}, "status under 40"),
        ({"key": "K" * 41}, "key under 40"),
        ({"key": "   "}, "ticket's key"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(escalated, thread, vendor, vendor_admin, change, message):
    api = key_client(vendor_admin, vendor)
    error = assert_error(api.post(f"/api/escalations/{escalated.pk}/ticket", TICKET | change), 400)
    assert message in error["message"]
    assert not TicketLink.objects.exists()
    assert not Event.objects.filter(kind__startswith="ticket_").exists()


@pytest.mark.django_db
def test_another_vendors_key_and_customers_cannot_link(escalated, other_vendor, other_staff, customer):
    from tests.conftest import make_staff

    bluewave_admin = make_staff("bo", other_vendor, "admin")
    assert_error(key_client(bluewave_admin, other_vendor).post(f"/api/escalations/{escalated.pk}/ticket", TICKET), 403)
    assert_error(token_client(customer).post(f"/api/escalations/{escalated.pk}/ticket", TICKET), 403)
    assert not TicketLink.objects.exists()


@pytest.mark.django_db
def test_a_staff_only_link_is_hidden_from_the_public_and_recorded_privately(escalated, thread, vendor, staff, customer):
    client = client_for(staff)
    response = client.post(
        reverse("swarm:ticket", args=[escalated.pk]), TICKET | {"visibility": "staff"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "NW-1234" in response.content.decode()
    assert "NW-1234" not in client_for(customer).get(thread.get_absolute_url()).content.decode()
    assert "NW-1234" in client.get(thread.get_absolute_url()).content.decode()
    assert Event.objects.get(kind="ticket_linked").vendor_id == vendor.pk
    api = token_client(customer)
    assert api.get(f"/api/escalations/{escalated.pk}/ticket").status_code == 404


@pytest.mark.django_db
def test_the_panel_form_refuses_a_bad_url_with_the_message(escalated, staff):
    response = client_for(staff).post(
        reverse("swarm:ticket", args=[escalated.pk]), TICKET | {"url": "data:text/html,hi"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "must start with http:// or https://" in response.content.decode()
    assert not TicketLink.objects.exists()


@pytest.mark.django_db
def test_a_status_change_reaches_the_vendors_webhook(receiver, escalated, vendor, vendor_admin):  # noqa: F811
    api_actions.create_webhook(admin=vendor_admin, vendor=vendor, url=receiver.url, kinds=["ticket_status"])
    tickets.link_ticket(staff=vendor_admin, escalation=escalated, **TICKET)
    tickets.link_ticket(staff=vendor_admin, escalation=escalated, **(TICKET | {"status": "Done"}))
    run_worker(2)
    events = receiver.events()
    assert [e["kind"] for e in events] == ["ticket_status"]
    assert events[0]["data"]["status"] == "Done"


@pytest.mark.django_db(transaction=True)
async def test_a_watcher_hears_the_status_change_live(thread, customer, vendor, vendor_admin, other_customer):
    escalation = await database_sync_to_async(escalations.escalate)(user=customer, thread=thread, handle="northwind")
    await database_sync_to_async(tickets.link_ticket)(staff=vendor_admin, escalation=escalation, **TICKET)
    ws = WebsocketCommunicator(application, f"/ws/t/{thread.pk}/", headers=ORIGIN)
    ws.scope["user"] = other_customer
    connected, _ = await ws.connect()
    assert connected
    await ws.receive_from(timeout=3)  # hello
    api = await database_sync_to_async(key_client)(vendor_admin, vendor)
    response = await database_sync_to_async(api.post)(
        f"/api/escalations/{escalation.pk}/ticket", TICKET | {"status": "Waiting for release"}
    )
    assert response.status_code == 200
    frame = json.loads(await ws.receive_from(timeout=3))
    while frame.get("type") != "event":
        frame = json.loads(await ws.receive_from(timeout=3))
    assert frame["event"]["kind"] == "ticket_status"
    assert frame["event"]["data"]["status"] == "Waiting for release"
    await ws.disconnect()
