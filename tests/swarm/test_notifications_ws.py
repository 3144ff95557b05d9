"""The personal channel: the bell's unread count changes live."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from forum.actions import posts as post_actions
from swarm import consumers
from tests.swarm.conftest import refusal

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def test_a_reply_raises_the_authors_unread_count_live(thread, customer, expert):
    ws = WebsocketCommunicator(application, "/ws/me/", headers=ORIGIN)
    ws.scope["user"] = customer
    assert (await ws.connect())[0]
    assert await ws.receive_json_from(timeout=2) == {"type": "notifications", "unread": 0}
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Try this")
    assert await ws.receive_json_from(timeout=2) == {"type": "notifications", "unread": 1}
    await ws.disconnect()


async def test_visitors_have_no_personal_channel(db):
    ws = WebsocketCommunicator(application, "/ws/me/", headers=ORIGIN)
    assert await refusal(ws) == ("not_logged_in", consumers.CLOSE_UNAUTHENTICATED)
