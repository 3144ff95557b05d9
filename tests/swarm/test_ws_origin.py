"""The websocket origin check compares scheme, host and port, through a real daphne and a real client."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from config.origins import origin_allowed
from tests.swarm.conftest import Daphne

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(server: Daphne, path: str, origin: str | None) -> int:
    """The handshake's outcome: 101 when the socket opened (and said hello), else the HTTP status."""
    try:
        ws = await websockets.connect(f"{server.ws}{path}", origin=origin, open_timeout=10)
    except InvalidStatus as refused:
        return refused.response.status_code
    hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    await ws.close()
    assert hello["type"] == "hello"
    return 101


async def test_only_the_exact_origin_opens_a_socket(daphne, thread):
    port = daphne.port
    path = f"/ws/t/{thread.pk}/"
    cases = {
        f"http://127.0.0.1:{port}": 101,  # same origin
        "http://127.0.0.1:8000": 101,  # SITE_URL, the public address
        f"http://127.0.0.1:{port + 1}": 403,  # another port on the same host
        f"https://127.0.0.1:{port}": 403,  # another scheme
        f"http://localhost:{port}": 403,  # an allowed host name, but not the one the page was served from
        "http://127.0.0.1": 403,  # default port 80
        "https://evil.example": 403,
        "null": 403,  # sandboxed iframes and file:// pages
        None: 403,  # no Origin header: browsers always send one
    }
    outcomes = {origin: await handshake(daphne, path, origin) for origin in cases}
    assert outcomes == cases


def scope(origin: str, host: str = "forum.example.com", scheme: str = "wss", **extra: str) -> dict:
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    headers += [(name.encode(), value.encode()) for name, value in extra.items()]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


def test_trusted_origins_and_a_proxy_are_matched_exactly(settings):
    settings.ALLOWED_HOSTS = ["forum.example.com"]
    settings.SITE_URL = "https://forum.example.com"
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org", "https://support.example.net:8443"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope("https://forum.example.com"))
    assert origin_allowed(scope("https://forum.example.com:443"))
    assert not origin_allowed(scope("http://forum.example.com"))
    assert not origin_allowed(scope("https://forum.example.com:8443"))
    assert origin_allowed(scope("https://help.example.org"))
    assert not origin_allowed(scope("https://example.org.evil.example"))
    assert not origin_allowed(scope("http://help.example.org"))
    assert origin_allowed(scope("https://support.example.net:8443"))
    assert not origin_allowed(scope("https://support.example.net"))
    # Same-origin through a proxy: daphne sees ws, the proxy says https.
    settings.SITE_URL = "https://other.example.com"
    behind = {"x-forwarded-proto": "https"}
    assert origin_allowed(scope("https://forum.example.com", scheme="ws", **behind))
    assert not origin_allowed(scope("http://forum.example.com", scheme="ws", **behind))
    assert not origin_allowed(scope("https://forum.example.com", host="evil.example", scheme="wss"))
