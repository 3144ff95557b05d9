"""The thread websocket: live events, replay after a gap, and bad frames."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from forum.actions import posts as post_actions
from forum.actions import votes as vote_actions
from swarm import consumers
from tests.swarm.conftest import refusal

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def connect(thread_id: int, headers=ORIGIN) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/t/{thread_id}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello == {"type": "hello", "thread": thread_id, "streams": ["public"]}
    presence = await communicator.receive_json_from(timeout=3)
    assert presence["type"] == "presence"
    return communicator


async def test_a_reply_reaches_a_watcher_live(thread, expert):
    ws = await connect(thread.pk)
    post = await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Try **this**.")
    frame = await ws.receive_json_from(timeout=2)
    assert frame["type"] == "event"
    event = frame["event"]
    assert (event["kind"], event["seq"], event["post"]) == ("replied", 2, post.pk)
    assert "<strong>this</strong>" in event["html"]
    assert event["actor"]["username"] == "dana"
    await ws.disconnect()


async def test_votes_arrive_with_the_new_score(thread, reply, customer):
    ws = await connect(thread.pk)
    await database_sync_to_async(vote_actions.upvote)(user=customer, post=reply)
    frame = await ws.receive_json_from(timeout=2)
    assert frame["event"]["kind"] == "voted"
    assert frame["event"]["data"]["score"] == 1
    await ws.disconnect()


async def test_resume_replays_exactly_the_missed_events(thread, expert):
    for n in range(5):
        await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body=f"Reply {n}")
    ws = await connect(thread.pk)
    await ws.send_json_to({"type": "resume", "after": {"public": 3}})
    frame = await ws.receive_json_from(timeout=2)
    assert frame["type"] == "replay"
    assert [e["seq"] for e in frame["events"]] == [4, 5, 6]
    await ws.disconnect()


async def test_a_gap_too_large_asks_the_client_to_reload(thread, expert, monkeypatch):
    monkeypatch.setattr(consumers, "REPLAY_LIMIT", 3)
    for n in range(5):
        await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body=f"Reply {n}")
    ws = await connect(thread.pk)
    await ws.send_json_to({"type": "resume", "after": {"public": 0}})
    assert (await ws.receive_json_from(timeout=2))["type"] == "reload"
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"type": "explode"}', "unknown_type"),
        ('{"type": "resume", "after": 7}', "bad_frame"),
        ('{"type": "resume", "after": {"public": -1}}', "bad_frame"),
        ('{"type": "resume", "after": {"public": "3"}}', "bad_frame"),
        ('{"type": "resume", "after": {"vendor:1": 0}}', "bad_stream"),
    ],
)
async def test_bad_frames_get_a_clear_error_and_the_connection_stays(thread, frame, code):
    ws = await connect(thread.pk)
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from(timeout=2)
    assert reply["type"] == "error"
    assert reply["code"] == code
    await ws.send_json_to({"type": "ping"})
    assert (await ws.receive_json_from(timeout=2))["type"] == "pong"
    await ws.disconnect()


async def test_an_oversized_frame_closes_the_connection(thread):
    ws = await connect(thread.pk)
    await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * (70 * 1024)}))
    assert (await ws.receive_json_from(timeout=2))["code"] == "too_large"
    assert (await ws.receive_output(timeout=2)) == {"type": "websocket.close", "code": consumers.CLOSE_TOO_LARGE}


async def test_a_flooding_client_is_rate_limited(thread):
    ws = await connect(thread.pk)
    codes = []
    for _ in range(consumers.RATE_BURST + 10):
        await ws.send_json_to({"type": "ping"})
    while True:
        output = await ws.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            assert output["code"] == consumers.CLOSE_RATE_LIMITED
            break
        codes.append(json.loads(output["text"]).get("code"))
    # The pongs before the limit: the burst, plus at most a token or two refilled while a busy machine works.
    assert consumers.RATE_BURST <= codes.count(None) <= consumers.RATE_BURST + 3
    assert codes[-1] == "rate_limited"


async def test_an_unknown_thread_is_refused(db):
    communicator = WebsocketCommunicator(application, "/ws/t/999999/", headers=ORIGIN)
    assert await refusal(communicator) == ("not_found", consumers.CLOSE_NOT_FOUND)


async def test_a_socket_opened_from_another_site_is_refused(thread):
    communicator = WebsocketCommunicator(
        application, f"/ws/t/{thread.pk}/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_presence_groups_people_by_role_and_counts_visitors(thread, customer, expert, staff):
    async def watch_as(user):
        communicator = WebsocketCommunicator(application, f"/ws/t/{thread.pk}/", headers=ORIGIN)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"
        return communicator

    visitor = await connect(thread.pk)
    watchers = [await watch_as(user) for user in (customer, expert, staff)]
    await visitor.send_json_to({"type": "ping"})
    frame = await visitor.receive_json_from(timeout=2)
    while frame["type"] != "pong":
        frame = await visitor.receive_json_from(timeout=2)
    here = frame["presence"]
    assert here["visitors"] == 1
    assert here["customers"] == ["Jeff Morrow"]
    assert here["experts"] == ["Dana Whitfield"]
    assert here["staff"] == [{"vendor": "Northwind Devices", "handle": "northwind", "people": ["keith"]}]

    await watchers[0].disconnect()  # the customer closes the tab
    frame = await visitor.receive_json_from(timeout=2)
    while not (frame["type"] == "presence" and frame["presence"]["customers"] == []):
        frame = await visitor.receive_json_from(timeout=2)
    for ws in [visitor, *watchers[1:]]:
        await ws.disconnect()


async def test_typing_reaches_others_but_not_the_typist(thread, customer, expert):
    async def watch_as(user):
        communicator = WebsocketCommunicator(application, f"/ws/t/{thread.pk}/", headers=ORIGIN)
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        return communicator

    dana, jeff = await watch_as(expert), await watch_as(customer)
    await dana.send_json_to({"type": "typing"})
    frame = await jeff.receive_json_from(timeout=2)
    while frame["type"] != "typing":
        frame = await jeff.receive_json_from(timeout=2)
    assert frame == {"type": "typing", "name": "Dana Whitfield", "username": "dana"}
    while not await dana.receive_nothing(timeout=0.3):
        frame = await dana.receive_json_from()
        assert frame["type"] != "typing"
    await dana.disconnect()
    await jeff.disconnect()


async def test_visitors_cannot_send_typing(thread):
    ws = await connect(thread.pk)
    await ws.send_json_to({"type": "typing"})
    frame = await ws.receive_json_from(timeout=2)
    assert (frame["type"], frame["code"]) == ("error", "not_logged_in")
    await ws.disconnect()


async def test_pong_tells_the_latest_seq_so_a_lost_event_is_noticed(thread, expert):
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="one")
    ws = await connect(thread.pk)
    await ws.send_json_to({"type": "ping"})
    frame = await ws.receive_json_from(timeout=2)
    while frame["type"] != "pong":
        frame = await ws.receive_json_from(timeout=2)
    assert frame["seq"] == 2
    await ws.disconnect()


async def _next_event_text(ws: WebsocketCommunicator) -> str:
    """The next event frame as sent, skipping presence frames (arrivals are announced late)."""
    while True:
        text = await ws.receive_from(timeout=3)
        if json.loads(text)["type"] == "event":
            return text


async def test_every_watcher_is_sent_the_frame_encoded_once_at_publish(thread, expert):
    """The layer message carries the frame's text; each socket forwards that text unchanged."""
    from channels.layers import get_channel_layer

    from forum.timeline import thread_group

    layer = get_channel_layer()
    tap = await layer.new_channel()
    await layer.group_add(thread_group(thread.pk), tap)
    watchers = [await connect(thread.pk) for _ in range(2)]
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Encoded once.")
    message = await layer.receive(tap)
    while message["type"] != "timeline.event":
        message = await layer.receive(tap)
    frames = [await _next_event_text(ws) for ws in watchers]
    assert frames == [message["text"], message["text"]]
    assert json.loads(frames[0])["event"]["kind"] == "replied"
    for ws in watchers:
        await ws.disconnect()
