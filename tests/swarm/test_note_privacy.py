"""Staff notes never leave the server to anyone outside the vendor: pages, fragments, search,
notifications, emails, websocket frames. (The API and feeds have their own tests.)"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.test import Client

from config.asgi import application
from forum.actions import posts as post_actions
from swarm.actions import claims, escalations, notes
from tests.conftest import client_for

SECRET = "Zanzibar-7731 internal firmware ticket"
ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


@pytest.fixture
def noted(db, thread, customer, vendor, staff, other_vendor, other_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        esc = escalations.escalate(user=customer, thread=thread, handle="northwind")
        claims.claim(staff=staff, escalation=esc)
        claims.hand_off(staff=staff, escalation=esc, to_handle="bluewave", note=f"hand-off {SECRET}")
        notes.add_note(staff=staff, thread=thread, vendor=vendor, body=f"note {SECRET}")
        post_actions.reply(author=staff, thread=thread, body="We are on it publicly.")
    return thread


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["visitor", "customer", "other_customer", "expert", "moderator", "other_staff_c"])
def test_outsiders_never_see_notes_in_pages(noted, role, request, vendor, other_vendor):
    from forum.actions import vendors as vendor_actions
    from tests.conftest import make_staff

    if role == "other_staff_c":
        third = vendor_actions.create_vendor(name="Fabrikam", handle="fabrikam", domains=["fabrikam.example"])
        user = make_staff("sven", third)
    else:
        user = None if role == "visitor" else request.getfixturevalue(role)
    client = client_for(user) if user else Client()
    urls = [
        noted.get_absolute_url(),
        f"/t/{noted.pk}/swarm/",
        "/search/?q=Zanzibar",
        "/v/northwind/",
        "/v/bluewave/",
        "/notifications/",
    ]
    for url in urls:
        response = client.get(url)
        assert SECRET not in response.content.decode(), url


@pytest.mark.django_db
def test_staff_of_the_vendor_see_their_notes_only(noted, staff, other_staff):
    page = client_for(staff).get(noted.get_absolute_url()).content.decode()
    assert f"note {SECRET}" in page
    # Bluewave received the hand-off note on its own private stream; it never sees Northwind's own note.
    theirs = client_for(other_staff).get(noted.get_absolute_url()).content.decode()
    assert f"hand-off {SECRET}" in theirs and f"note {SECRET}" not in theirs


@pytest.mark.django_db
def test_no_email_carries_a_note(noted):
    assert mail.outbox, "the workflow sends emails"
    for message in mail.outbox:
        assert SECRET not in message.subject and SECRET not in message.body


@pytest.mark.django_db(transaction=True)
async def test_no_websocket_frame_carries_a_note(thread, customer, vendor, staff, other_staff, expert):
    esc = await database_sync_to_async(escalations.escalate)(user=customer, thread=thread, handle="northwind")

    async def watch(user):
        ws = WebsocketCommunicator(application, f"/ws/t/{thread.pk}/", headers=ORIGIN)
        if user is not None:
            ws.scope["user"] = user
        assert (await ws.connect())[0]
        return ws

    watchers = {
        name: await watch(user)
        for name, user in [("visitor", None), ("expert", expert), ("bluewave", other_staff), ("northwind", staff)]
    }
    await database_sync_to_async(notes.add_note)(staff=staff, thread=thread, vendor=vendor, body=f"note {SECRET}")
    await database_sync_to_async(claims.claim)(staff=staff, escalation=esc)
    for name, ws in watchers.items():
        frames = []
        while True:  # read until the public "claimed" event, which follows the note
            frame = await ws.receive_from(timeout=3)
            frames.append(frame)
            if json.loads(frame).get("event", {}).get("kind") == "claimed":
                break
        text = "\n".join(frames)
        assert SECRET not in text, name
        kinds = [json.loads(f).get("event", {}).get("kind") for f in frames]
        assert ("note" in kinds) == (name == "northwind"), (name, kinds)
        await ws.disconnect()
