"""Live frames that overtake each other, as when two processes publish: the soak's client.

Frames are published from this test process through the server's Redis, in the order the
test chooses, for events that are in the database. The client (bench/soak.py, the same rule
as static/js/live.js: tests/swarm/test_live_reorder_browser.py) must apply every event once
and in order; a gap closed by the frame on its way sends no ``resume``, a gap that stays open
does, after the wait.
"""

import asyncio
import importlib
import time

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from bench.soak import SoakWatcher
from forum.actions import posts as post_actions
from forum.models import Event, Thread, User
from tests.swarm.conftest import start_daphne

# forum.timeline exports the function record(); the module is what publish lives in.
timeline_record = importlib.import_module("forum.timeline.record")

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(redis_url, redis_layer, transactional_db):
    daphne = start_daphne(redis_url)
    yield daphne
    daphne.kill()


def unpublished_replies(monkeypatch, thread: Thread, author: User, bodies: list[str]) -> list[Event]:
    """Replies committed together, their live frames kept back (returned, to publish at will)."""
    held: list[Event] = []
    with monkeypatch.context() as patch, transaction.atomic():
        patch.setattr(timeline_record, "publish", held.append)  # record() schedules publish(event) on commit
        for body in bodies:
            post_actions.reply(author=author, thread=thread, body=body)
    return held


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_soak_client_holds_an_early_frame_and_resumes_only_for_a_gap_that_stays_open(
    server, thread, expert, monkeypatch
):
    async def no_pings(self, ws):  # a pong names the latest seq: the test decides when the client hears of it
        await asyncio.Event().wait()

    monkeypatch.setattr(SoakWatcher, "_ping", no_pings)
    watcher = SoakWatcher([server], thread.pk, 0)
    running = asyncio.create_task(watcher.run())
    publish = database_sync_to_async(timeline_record.publish)
    replies = database_sync_to_async(unpublished_replies)
    try:
        await asyncio.wait_for(watcher.hello.wait(), 10)
        (first,) = await replies(monkeypatch, thread, expert, ["First"])
        await publish(first)
        await until(lambda: watcher.seqs == [2])

        # seq 4 overtakes seq 3: held, then both applied in order, no resume.
        third, fourth = await replies(monkeypatch, thread, expert, ["Third", "Fourth"])
        await publish(fourth)
        await until(lambda: 4 in watcher.held)
        await publish(third)
        await until(lambda: watcher.seqs == [2, 3, 4])
        await asyncio.sleep(0.8)  # well past the wait: a resume would have gone by now
        assert (watcher.resumes, watcher.closed_in_wait, watcher.ignored) == (0, 1, 0)

        # seq 6 arrives and seq 5's frame never does: after the wait, and only then, it resumes.
        _fifth, sixth = await replies(monkeypatch, thread, expert, ["Fifth", "Sixth"])
        await publish(sixth)
        await until(lambda: 6 in watcher.held)
        await asyncio.sleep(0.1)
        assert watcher.resumes == 0  # still waiting for seq 5's frame
        await until(lambda: watcher.last == 6)
        assert watcher.seqs == [2, 3, 4, 5, 6]
        assert watcher.resumes == 1
    finally:
        watcher.stop.set()
        await asyncio.wait_for(running, 10)
