"""Escalations through the API: the permission matrix over roles, vendor-key scope, and private notes."""

from __future__ import annotations

import pytest

from forum.actions import threads as thread_actions
from forum.models import Membership
from swarm.actions import claims, escalations
from swarm.actions import notes as note_actions
from swarm.models import Escalation
from tests.conftest import make_staff
from tests.forum.api_helpers import ApiClient, _fresh_rate_limits, assert_error, key_client, token_client  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = ["visitor", "customer", "other_customer", "expert", "staff_a", "staff_b", "vendor_admin", "moderator"]


@pytest.fixture
def people(customer, other_customer, expert, staff, other_staff, vendor_admin, moderator):
    return {
        "customer": customer,
        "other_customer": other_customer,
        "expert": expert,
        "staff_a": staff,
        "staff_b": other_staff,
        "vendor_admin": vendor_admin,
        "moderator": moderator,
    }


@pytest.fixture
def escalated(customer, vendor):
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    return escalations.escalate(user=customer, thread=thread, handle="northwind")


def api_for(role: str, people) -> ApiClient:
    return ApiClient() if role == "visitor" else token_client(people[role])


def read_thread(api, thread, escalation):
    return api.get(f"/api/threads/{thread.pk}")


def reply(api, thread, escalation):
    return api.post(f"/api/threads/{thread.pk}/posts", {"body": "Same here, any news?"})


def escalate(api, thread, escalation):
    return api.post(f"/api/threads/{thread.pk}/escalations", {"vendor": "@northwind"})


def claim(api, thread, escalation):
    return api.post(f"/api/escalations/{escalation.pk}/claim")


def resolve(api, thread, escalation):
    return api.post(f"/api/escalations/{escalation.pk}/resolve")


def write_note(api, thread, escalation):
    return api.post(f"/api/threads/{escalation.thread_id}/notes", {"vendor": "northwind", "body": "Firmware FW-9"})


def read_notes(api, thread, escalation):
    return api.get(f"/api/threads/{escalation.thread_id}/notes", vendor="northwind")


def private_stream(api, thread, escalation):
    return api.get(f"/api/threads/{escalation.thread_id}/events", stream="northwind")


STAFF = {"staff_a", "vendor_admin"}
# action -> (status for the roles allowed, who is allowed, status for a visitor, status for the others)
MATRIX = {
    read_thread: (200, set(ROLES), 200, 200),
    reply: (201, set(ROLES) - {"visitor"}, 401, 201),
    escalate: (201, {"customer"}, 401, 403),
    claim: (200, STAFF, 401, 403),
    resolve: (200, STAFF, 401, 403),
    write_note: (201, STAFF, 401, 403),
    read_notes: (200, STAFF, 404, 404),
    private_stream: (200, STAFF, 404, 404),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX), ids=lambda f: f.__name__)
def test_permissions_over_roles_and_actions(role, action, people, escalated, vendor, other_vendor):
    fresh = thread_actions.create_thread(author=people["customer"], title="Wifi drops hourly", body="Since Monday")
    allowed_status, allowed, visitor_status, other_status = MATRIX[action]
    response = action(api_for(role, people), fresh, escalated)
    expected = allowed_status if role in allowed else (visitor_status if role == "visitor" else other_status)
    if expected >= 400:
        assert_error(response, expected)
    else:
        assert response.status_code == expected, response.content


def test_the_escalation_lifecycle_through_the_api(customer, staff, vendor_admin, vendor, other_vendor, other_staff):
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    created = token_client(customer).post(f"/api/threads/{thread.pk}/escalations", {"vendor": "northwind"})
    assert created.status_code == 201 and created.json()["state"] == "open"
    eid = created.json()["id"]
    assert_error(token_client(customer).post(f"/api/threads/{thread.pk}/escalations", {"vendor": "northwind"}), 409)
    error = assert_error(
        token_client(customer).post(f"/api/threads/{thread.pk}/escalations", {"vendor": "nrthwind"}), 400
    )
    assert "@northwind" in error["message"]  # the action's suggestion reaches the API caller

    keith = token_client(staff)
    assert keith.post(f"/api/escalations/{eid}/claim").json()["claimed_by"] == "keith"
    assert_error(token_client(vendor_admin).post(f"/api/escalations/{eid}/claim"), 409, "taken")
    handed = keith.post(f"/api/escalations/{eid}/hand-off", {"to_username": "nadia", "note": "Display team"})
    assert handed.status_code == 200 and handed.json()["claimed_by"] == "nadia"
    assert_error(keith.post(f"/api/escalations/{eid}/hand-off", {}), 400, "no_target")
    nadia = token_client(vendor_admin)
    assert nadia.post(f"/api/escalations/{eid}/release").json()["state"] == "open"
    moved = nadia.post(f"/api/escalations/{eid}/hand-off", {"to_handle": "bluewave", "note": "Their driver"})
    assert (
        moved.status_code == 200 and moved.json()["vendor"] == "bluewave" and moved.json()["handed_from"] == "northwind"
    )
    marco = token_client(other_staff)
    assert marco.post(f"/api/escalations/{moved.json()['id']}/claim").json()["state"] == "claimed"
    assert marco.post(f"/api/escalations/{moved.json()['id']}/resolve").json()["state"] == "resolved"
    assert_error(marco.post(f"/api/escalations/{moved.json()['id']}/resolve"), 409, "wrong_state")

    listed = ApiClient().get("/api/escalations", vendor="bluewave", state="resolved").json()["items"]
    assert [e["id"] for e in listed] == [moved.json()["id"]]
    kinds = [e["kind"] for e in ApiClient().get(f"/api/threads/{thread.pk}/events").json()["events"]]
    assert kinds == [
        "posted",
        "escalated",
        "claimed",
        "handed_off",
        "released",
        "handed_off",
        "escalated",
        "claimed",
        "resolved",
    ]


def test_a_vendor_key_acts_as_the_vendor_and_only_for_its_own_vendor(vendor, other_vendor, vendor_admin, customer):
    # The admin is also verified staff of Bluewave, yet the Northwind key cannot act there.
    Membership.objects.create(user=vendor_admin, vendor=other_vendor, status=Membership.Status.VERIFIED)
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    north = escalations.escalate(user=customer, thread=thread, handle="northwind")
    blue = escalations.escalate(user=customer, thread=thread, handle="bluewave")
    api = key_client(vendor_admin, vendor)
    assert api.post(f"/api/escalations/{north.pk}/claim").json()["claimed_by"] == "northwind+api"
    error = assert_error(api.post(f"/api/escalations/{blue.pk}/claim"), 403)
    assert "another vendor" in error["message"]
    assert_error(api.post(f"/api/threads/{thread.pk}/notes", {"vendor": "bluewave", "body": "x"}), 403)
    assert_error(api.get(f"/api/threads/{thread.pk}/notes", vendor="bluewave"), 403)
    assert_error(api.get(f"/api/threads/{thread.pk}/events", stream="bluewave"), 404)
    blue.refresh_from_db()
    assert blue.state == Escalation.State.OPEN
    note = api.post(f"/api/threads/{thread.pk}/notes", {"vendor": "northwind", "body": "Known issue FW-9"})
    assert note.status_code == 201 and note.json()["author"] == "northwind+api"
    read_only = key_client(vendor_admin, vendor, scope="read")
    assert_error(read_only.post(f"/api/escalations/{north.pk}/release"), 403)


def test_staff_notes_never_leave_the_vendor_through_the_api(people, escalated, vendor, other_vendor):
    note_actions.add_note(staff=people["staff_a"], thread=escalated.thread, vendor=vendor, body="SECRET-FW-9 firmware")
    claims.claim(staff=people["staff_a"], escalation=escalated)
    bluewave_key = key_client(make_staff("bo", other_vendor, "admin"), other_vendor)
    thread_id = escalated.thread_id
    for role in ROLES:
        api = api_for(role, people)
        outside = role not in STAFF
        pages = [
            api.get(f"/api/threads/{thread_id}"),
            api.get(f"/api/threads/{thread_id}/events"),
            api.get("/api/vendors/northwind/events"),
            api.get("/api/escalations"),
            api.get("/api/search", q="firmware"),
        ]
        if role != "visitor":
            pages.append(api.get("/api/me/notifications"))
        seen = " ".join(p.content.decode() for p in pages)
        notes = read_notes(api, None, escalated)
        if outside:
            assert '"kind": "note"' not in seen and "SECRET" not in seen, role
            assert notes.status_code == 404
        else:
            assert notes.json()[0]["body"] == "SECRET-FW-9 firmware"
    assert_error(bluewave_key.get(f"/api/threads/{thread_id}/notes", vendor="northwind"), 403)
    assert '"kind": "note"' not in bluewave_key.get("/api/vendors/northwind/events").content.decode()


def test_a_vendors_webhook_hears_the_escalation_workflow_in_order(settings, customer, staff, vendor, vendor_admin):
    from django.core.management import call_command

    from forum.actions import api as api_actions
    from tests.forum.test_api_webhooks import Receiver

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    receiver = Receiver()
    try:
        api_actions.create_webhook(
            admin=vendor_admin, vendor=vendor, url=receiver.url, kinds=["escalated", "claimed", "resolved", "note"]
        )
        thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
        escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
        api = token_client(staff)
        api.post(f"/api/escalations/{escalation.pk}/claim")
        api.post(f"/api/threads/{thread.pk}/notes", {"vendor": "northwind", "body": "Checking firmware"})
        api.post(f"/api/escalations/{escalation.pk}/resolve")
        for _ in range(5):
            call_command("webhook_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
        events = receiver.events()
        assert [(e["kind"], e["stream"]) for e in events] == [
            ("escalated", "public"),
            ("claimed", "public"),
            ("note", "private"),
            ("resolved", "public"),
        ]
        assert events[1]["actor"]["username"] == "keith" and events[1]["data"]["vendor"] == "northwind"
    finally:
        receiver.close()
