"""The vendor inbox channel: staff hear of new escalations live; nobody else may listen."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from swarm import consumers
from swarm.actions import claims, escalations
from tests.swarm.conftest import refusal

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def open_inbox(user, handle="northwind"):
    ws = WebsocketCommunicator(application, f"/ws/v/{handle}/inbox/", headers=ORIGIN)
    if user is not None:
        ws.scope["user"] = user
    return ws, await ws.connect()


async def test_staff_hear_new_escalations_and_claims(thread, customer, vendor, staff):
    ws, (connected, _) = await open_inbox(staff)
    assert connected
    assert await ws.receive_json_from(timeout=2) == {"type": "hello"}
    esc = await database_sync_to_async(escalations.escalate)(user=customer, thread=thread, handle="northwind")
    assert await ws.receive_json_from(timeout=2) == {"type": "changed", "reason": "escalated"}
    await database_sync_to_async(claims.claim)(staff=staff, escalation=esc)
    assert await ws.receive_json_from(timeout=2) == {"type": "changed", "reason": "claimed"}
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=2) == {"type": "pong"}
    await ws.send_to(text_data="{not json")
    assert (await ws.receive_json_from(timeout=2))["code"] == "read_only"
    await ws.disconnect()


@pytest.mark.parametrize(
    ("who", "handle", "code"),
    [
        ("visitor", "northwind", consumers.CLOSE_UNAUTHENTICATED),
        ("customer", "northwind", consumers.CLOSE_FORBIDDEN),
        ("other_staff", "northwind", consumers.CLOSE_FORBIDDEN),
        ("moderator", "northwind", consumers.CLOSE_FORBIDDEN),
        ("staff", "no-such-vendor", consumers.CLOSE_NOT_FOUND),
    ],
)
async def test_outsiders_cannot_listen(request, vendor, other_vendor, who, handle, code):
    user = None if who == "visitor" else await database_sync_to_async(request.getfixturevalue)(who)
    ws = WebsocketCommunicator(application, f"/ws/v/{handle}/inbox/", headers=ORIGIN)
    if user is not None:
        ws.scope["user"] = user
    assert (await refusal(ws))[1] == code
