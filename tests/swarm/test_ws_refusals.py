"""Refused sockets say why (accept, error frame, 44xx close), through a real daphne and a real client.

A refused handshake reaches a browser as close code 1006, which says nothing, so
clients retried it for ever; a 44xx close tells them why and that retrying will not help.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import websockets
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from swarm import consumers
from tests.conftest import session_key
from tests.swarm.conftest import DAPHNE_WS_LIMITS, Daphne

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def session_of(user) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={session_key(user)}"


async def refused(server: Daphne, path: str, cookie: str | None = None) -> tuple[str, int]:
    """Open ``path`` as a browser on the site would; the error frame's code and the close code."""
    headers = {"Cookie": cookie} if cookie else None
    async with websockets.connect(
        f"{server.ws}{path}", origin=server.http, additional_headers=headers, open_timeout=10
    ) as ws:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return frame["code"], ws.close_code


async def test_refusals_close_with_the_documented_code(daphne, thread, customer, vendor):
    cookie = await asyncio.to_thread(session_of, customer)
    assert await refused(daphne, "/ws/t/999999/") == ("not_found", 4404)
    assert await refused(daphne, "/ws/me/") == ("not_logged_in", 4401)
    assert await refused(daphne, "/ws/v/northwind/inbox/") == ("not_logged_in", 4401)
    assert await refused(daphne, "/ws/v/northwind/inbox/", cookie) == ("forbidden", 4403)
    assert await refused(daphne, "/ws/v/nobody-here/inbox/", cookie) == ("not_found", 4404)


async def test_a_4_mb_frame_gets_an_error_frame_not_a_cut_connection(daphne, thread):
    async with websockets.connect(
        f"{daphne.ws}/ws/t/{thread.pk}/", origin=daphne.http, open_timeout=10, max_size=None
    ) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        await ws.send(json.dumps({"type": "ping", "pad": "x" * (4 * 1024 * 1024)}))
        frames = []
        with pytest.raises(ConnectionClosed):
            while True:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        assert {"type": "error", "error": "Frame too large (64 KB at most).", "code": "too_large"} in frames
        assert ws.close_code == consumers.CLOSE_TOO_LARGE


def test_every_way_of_running_daphne_reads_frames_up_to_the_same_limit():
    """Otherwise daphne (1 MB by default) would cut a big frame with 1009 before the consumer can answer."""
    flags = " ".join(DAPHNE_WS_LIMITS)
    assert flags in (ROOT / "Procfile").read_text()
    assert flags in (ROOT / "deploy/systemd/barnraise-web@.service").read_text()
