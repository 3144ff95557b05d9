"""Removing someone's staff status takes effect at once, everywhere: open sockets, replay, inbox, API, badge."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from forum.actions import posts as post_actions
from forum.actions import vendors as vendor_actions
from forum.models import Membership
from swarm.actions import claims, escalations, notes
from tests.conftest import client_for, make_staff
from tests.forum.api_helpers import key_client, token_client

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]
SECRET = "Zanzibar-7731 internal"


def _revoke(admin, user, vendor) -> None:
    vendor_actions.revoke_membership(admin=admin, membership=Membership.objects.get(user=user, vendor=vendor))


async def _connect(path: str, user) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, path, headers=ORIGIN)
    ws.scope["user"] = user
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _frames_until(ws: WebsocketCommunicator, kind: str) -> list[dict]:
    """Read frames up to the event of ``kind`` (a public event that follows what the test is about)."""
    frames = []
    while True:
        frame = json.loads(await ws.receive_from(timeout=3))
        frames.append(frame)
        if frame.get("event", {}).get("kind") == kind:
            return frames


@pytest.mark.django_db(transaction=True)
async def test_an_open_thread_socket_stops_receiving_the_private_stream(thread, customer, vendor, staff, vendor_admin):
    escalation = await database_sync_to_async(escalations.escalate)(user=customer, thread=thread, handle="northwind")
    revoked = await _connect(f"/ws/t/{thread.pk}/", staff)
    colleague = await _connect(f"/ws/t/{thread.pk}/", vendor_admin)
    for ws in (revoked, colleague):
        hello = json.loads(await ws.receive_from(timeout=3))
        assert f"vendor:{vendor.pk}" in hello["streams"]

    # Before: both receive the vendor's notes.
    await database_sync_to_async(notes.add_note)(staff=vendor_admin, thread=thread, vendor=vendor, body="first")
    for ws in (revoked, colleague):
        frame = json.loads(await ws.receive_from(timeout=3))
        while frame["type"] != "event":
            frame = json.loads(await ws.receive_from(timeout=3))
        assert frame["event"]["kind"] == "note"

    await database_sync_to_async(_revoke)(vendor_admin, staff, vendor)
    await database_sync_to_async(notes.add_note)(staff=vendor_admin, thread=thread, vendor=vendor, body=SECRET)
    await database_sync_to_async(claims.claim)(staff=vendor_admin, escalation=escalation)

    theirs = await _frames_until(revoked, "claimed")
    assert SECRET not in json.dumps(theirs)
    assert [f for f in theirs if f.get("event", {}).get("kind") == "note"] == []
    assert {"type": "stream_closed", "stream": f"vendor:{vendor.pk}"} in theirs
    ours = await _frames_until(colleague, "claimed")
    assert any(f.get("event", {}).get("kind") == "note" for f in ours), "current staff still get notes"

    # Replay of the private stream is refused; the public one still replays.
    await revoked.send_to(text_data=json.dumps({"type": "resume", "after": {f"vendor:{vendor.pk}": 0}}))
    refusal = json.loads(await revoked.receive_from(timeout=3))
    assert refusal["type"] == "error" and refusal["code"] == "bad_stream"
    await revoked.send_to(text_data=json.dumps({"type": "resume", "after": {"public": 0}}))
    replay = json.loads(await revoked.receive_from(timeout=3))
    while replay["type"] != "replay":
        replay = json.loads(await revoked.receive_from(timeout=3))
    assert replay["stream"] == "public" and SECRET not in json.dumps(replay)
    for ws in (revoked, colleague):
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_replay_asked_right_after_revocation_is_refused(thread, customer, vendor, staff, vendor_admin):
    """No live frame has arrived since the revocation: the replay itself re-checks."""
    await database_sync_to_async(escalations.escalate)(user=customer, thread=thread, handle="northwind")
    await database_sync_to_async(notes.add_note)(staff=vendor_admin, thread=thread, vendor=vendor, body=SECRET)
    ws = await _connect(f"/ws/t/{thread.pk}/", staff)
    await ws.receive_from(timeout=3)  # hello
    await database_sync_to_async(_revoke)(vendor_admin, staff, vendor)
    await ws.send_to(text_data=json.dumps({"type": "resume", "after": {f"vendor:{vendor.pk}": 0}}))
    frames = []
    while not any(f.get("type") == "error" for f in frames):
        frames.append(json.loads(await ws.receive_from(timeout=3)))
    assert SECRET not in json.dumps(frames)
    assert frames[-1]["code"] == "bad_stream"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_open_inbox_socket_closes(vendor, staff, vendor_admin):
    revoked = await _connect("/ws/v/northwind/inbox/", staff)
    colleague = await _connect("/ws/v/northwind/inbox/", vendor_admin)
    for ws in (revoked, colleague):
        assert json.loads(await ws.receive_from(timeout=3)) == {"type": "hello"}
    await database_sync_to_async(_revoke)(vendor_admin, staff, vendor)
    closed = await revoked.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4403}
    assert json.loads(await colleague.receive_from(timeout=3)) == {"type": "changed", "reason": "staff"}
    await colleague.disconnect()


@pytest.mark.django_db
def test_inbox_page_and_api_access_end(thread, customer, vendor, staff, vendor_admin):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    notes.add_note(staff=vendor_admin, thread=thread, vendor=vendor, body=SECRET)
    api = token_client(staff)
    page = client_for(staff)
    assert page.get("/v/northwind/inbox/").status_code == 200
    assert api.get(f"/api/threads/{thread.pk}/notes", vendor="northwind").status_code == 200

    _revoke(vendor_admin, staff, vendor)
    assert page.get("/v/northwind/inbox/").status_code == 403
    response = api.get(f"/api/threads/{thread.pk}/notes", vendor="northwind")
    assert response.status_code in (403, 404) and SECRET not in response.content.decode()
    response = api.post(f"/api/threads/{thread.pk}/notes", {"vendor": "northwind", "body": "still me"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_revoked_admins_vendor_key_and_pages_stop_working(thread, vendor, vendor_admin):
    other_admin = make_staff("olga", vendor, role=Membership.Role.ADMIN)
    key = key_client(vendor_admin, vendor)
    assert key.get("/api/escalations").status_code == 200
    assert client_for(vendor_admin).get("/v/northwind/api/").status_code == 200
    _revoke(other_admin, vendor_admin, vendor)
    assert key.get("/api/escalations").status_code in (401, 403)
    assert client_for(vendor_admin).get("/v/northwind/api/").status_code == 403


@pytest.mark.django_db
def test_no_badge_on_posts_made_after_revocation(thread, vendor, staff, vendor_admin):
    before = post_actions.reply(author=staff, thread=thread, body="Badge on this one.")
    _revoke(vendor_admin, staff, vendor)
    after = post_actions.reply(author=staff, thread=thread, body="No badge on this one.")
    assert before.staff_vendor == vendor and after.staff_vendor is None
    page = client_for(None).get(thread.get_absolute_url()).content.decode()
    article = page.split(f'id="post-{after.pk}"')[1].split("</article>")[0]
    assert "Staff · Northwind" not in article
    assert "Staff · Northwind" in page.split(f'id="post-{before.pk}"')[1].split("</article>")[0]
