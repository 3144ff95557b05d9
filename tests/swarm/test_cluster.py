"""Two daphne processes sharing Redis and the database: live delivery and recovery across them."""

import asyncio
import json
import time

import pytest
import redis.asyncio as redis_client
import websockets
from asgiref.sync import sync_to_async

from forum.actions import posts as post_actions
from forum.models import Event
from tests.cluster.helpers import collect_seqs, next_frame, open_watch, reconnect
from tests.swarm.conftest import csrf_token, logged_in_client

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def post_reply(client, thread, body: str) -> int:
    token = csrf_token(client, thread.get_absolute_url())
    response = client.post(
        f"/t/{thread.pk}/reply/",
        data={"body": body, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{client.base_url}{thread.get_absolute_url()}"},
    )
    return response.status_code


async def test_a_reply_posted_on_one_process_reaches_a_watcher_on_the_other(two_daphnes, thread, expert):
    a, b = two_daphnes
    ws = await open_watch(b, thread.pk)
    client = await sync_to_async(logged_in_client)(a, expert)
    status = await sync_to_async(post_reply)(client, thread, "Posted through process A")
    assert status == 302
    frame = await next_frame(ws)
    while frame["type"] == "presence":
        frame = await next_frame(ws)
    assert frame["type"] == "event"
    assert frame["event"]["kind"] == "replied"
    assert "Posted through process A" in frame["event"]["html"]
    await ws.close()


async def presence_via(ws, latest: dict | None = None) -> dict | None:
    """Ping, and return the newest presence seen in a presence frame or the pong."""
    await ws.send(json.dumps({"type": "ping"}))
    while True:
        frame = await next_frame(ws)
        latest = frame.get("presence", latest)
        if frame["type"] == "pong":
            return latest


async def test_presence_agrees_across_processes(two_daphnes, thread, expert, staff):
    a, b = two_daphnes
    on_a = [await open_watch(a, thread.pk) for _ in range(2)]
    on_b = [await open_watch(b, thread.pk) for _ in range(3)]
    seen_a, seen_b = await presence_via(on_a[0]), await presence_via(on_b[0])
    assert seen_a == seen_b
    assert seen_a["visitors"] == 5
    await on_b[2].close()
    deadline = time.monotonic() + 10
    seen = seen_a
    while seen["visitors"] != 4:
        assert time.monotonic() < deadline, "a closed connection stays present"
        await asyncio.sleep(0.1)
        seen = await presence_via(on_a[0], seen)
    for ws in on_a + on_b[:2]:
        await ws.close()


async def test_a_client_on_a_killed_process_reconnects_elsewhere_and_misses_nothing(
    two_daphnes, redis_layer, thread, expert
):
    a, b = two_daphnes
    ws = await open_watch(b, thread.pk)
    reply = sync_to_async(post_actions.reply)

    for n in range(20):
        await reply(author=expert, thread=thread, body=f"before {n}")
    seen = await collect_seqs(ws, until=21)
    assert seen == list(range(2, 22))

    b.kill()  # SIGKILL in the middle of the burst
    for n in range(480):
        await reply(author=expert, thread=thread, body=f"burst {n}")
    last_seq = await sync_to_async(lambda: Event.objects.filter(thread=thread).count())()
    assert last_seq == 501

    ws2 = await open_watch(a, thread.pk)
    await ws2.send(json.dumps({"type": "resume", "after": {"public": seen[-1]}}))
    rest = await collect_seqs(ws2, until=last_seq)
    assert seen + rest == list(range(2, last_seq + 1))
    await ws2.close()


async def test_posting_survives_a_redis_outage_and_live_delivery_catches_up(two_daphnes, redis, thread, expert):
    a, b = two_daphnes
    ws = await open_watch(b, thread.pk)
    client = await sync_to_async(logged_in_client)(a, expert)
    assert await sync_to_async(post_reply)(client, thread, "one") == 302
    assert (await collect_seqs(ws, until=2)) == [2]

    redis.stop()
    for body in ("two while Redis is down", "three while Redis is down"):
        assert await sync_to_async(post_reply)(client, thread, body) == 302
    count = await sync_to_async(lambda: Event.objects.filter(thread=thread).count())()
    assert count == 4
    await ws.close()

    redis.start()
    # As the browser client does: reconnect with a resume; a connection that the server
    # drops while its Redis connections recover is simply opened again.
    seen = [2]
    ws = None

    async def catch_up(until: int) -> None:
        nonlocal ws
        deadline = time.monotonic() + 30
        while seen[-1] < until:
            assert time.monotonic() < deadline, f"stuck at seq {seen[-1]}"
            try:
                if ws is None:
                    ws = await reconnect(b, thread.pk)
                    await ws.send(json.dumps({"type": "resume", "after": {"public": seen[-1]}}))
                seen.extend(s for s in await collect_seqs(ws, until=until, timeout=5) if s > seen[-1])
            except (websockets.exceptions.ConnectionClosed, TimeoutError):
                ws = None

    await catch_up(4)
    assert seen == [2, 3, 4]
    # Live delivery works again.
    assert await sync_to_async(post_reply)(client, thread, "four after Redis is back") == 302
    await catch_up(5)
    assert seen == [2, 3, 4, 5]
    await ws.close()


async def test_a_watcher_stays_connected_when_redis_answers_late(two_daphnes, redis, thread, expert):
    """Redis pauses for 3 s while the channel layer's 5 s wait for messages is running.

    The answer to that wait then comes after 5 s. With redis-py's default 5 s read timeout,
    the wait timed out in the client and the socket closed with 1011; it must stay open and
    the next reply must arrive.
    """
    a, b = two_daphnes
    ws = await open_watch(b, thread.pk)
    client = await sync_to_async(logged_in_client)(a, expert)
    control = redis_client.Redis.from_url(redis.url)
    try:
        for _ in range(2):  # two waits, whatever phase the layer's loop is in
            await asyncio.sleep(2.5)
            await control.execute_command("CLIENT", "PAUSE", 3000, "ALL")
            await asyncio.sleep(3.5)
    finally:
        await control.aclose()
    assert await sync_to_async(post_reply)(client, thread, "After the slow spell") == 302
    frame = await next_frame(ws, timeout=10)
    while frame["type"] == "presence":
        frame = await next_frame(ws, timeout=10)
    assert frame["type"] == "event", frame
    assert "After the slow spell" in frame["event"]["html"]
    await ws.close()
