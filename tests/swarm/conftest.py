"""Real servers for the swarm tests: Redis and daphne processes sharing it and the test database."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from channels.layers import channel_layers
from django.conf import settings as django_settings
from django.db import connection

from tests.services import ServerProcess, free_port, redis_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis() -> Iterator:
    with redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis) -> str:
    return redis.url


def database_env() -> dict[str, str]:
    """Point a server process at the database the test is using."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return {
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
    return {"SQLITE_PATH": str(db["NAME"])}


Daphne = ServerProcess

# As in the Procfile and the systemd unit: daphne reads frames up to 8 MB, so a frame over the
# consumer's 64 KB limit reaches it and is answered with an error frame (docs/websocket.md).
DAPHNE_WS_LIMITS = ("--websocket-max-message-size", "8388608", "--websocket-max-frame-size", "8388608")


def start_daphne(
    redis: str | None = None,
    host: str = "127.0.0.1",
    log: Path | None = None,
    *,
    extra_env: dict[str, str | None] | None = None,
    **more_env: str,
) -> Daphne:
    """A daphne process on ``host`` (a loopback address standing for an app server), a free port.

    ``log``: a file for its stderr (a busy or long-lived server would fill an unread pipe).
    ``extra_env`` and keywords set environment variables (None removes one).
    """
    port = free_port(host)
    env = {
        **os.environ,
        **database_env(),
        "REDIS_URL": redis or "",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for name, value in {**(extra_env or {}), **more_env}.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(log.open("ab")) if log else subprocess.PIPE
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", *DAPHNE_WS_LIMITS, "-b", host, "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Daphne(port=port, process=process, host=host)
    wait_until_healthy(process, server.http)
    return server


@pytest.fixture
def daphne(transactional_db) -> Iterator[Daphne]:
    """One daphne process on the test database, with the in-memory channel layer."""
    server = start_daphne()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def two_daphnes(redis_url, transactional_db) -> Iterator[tuple[Daphne, Daphne]]:
    servers = (start_daphne(redis_url), start_daphne(redis_url))
    try:
        yield servers
    finally:
        for server in servers:
            server.kill()


@pytest.fixture
def redis_layer(redis_url, settings):
    """Make this test process publish through the same Redis as the servers."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def logged_in_client(server: Daphne, user) -> httpx.Client:
    """An HTTP client holding a real session for ``user`` and the page's CSRF token."""
    from tests.conftest import session_key

    cookies = {django_settings.SESSION_COOKIE_NAME: session_key(user)}
    client = httpx.Client(base_url=server.http, cookies=cookies, timeout=10)
    return client


def csrf_token(client: httpx.Client, path: str) -> str:
    page = client.get(path, follow_redirects=True)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


@pytest.fixture(autouse=True)
def _fresh_presence():
    """In-memory presence is per process: start every test with nobody on any thread."""
    from swarm.actions import presence

    presence._memory = presence.MemoryStore()
    presence._mine.clear()
    yield


async def refusal(communicator) -> tuple[str, int]:
    """A refused socket: accepted, then an ``error`` frame and a 44xx close. Returns (error code, close code)."""
    connected, _ = await communicator.connect()
    assert connected, "a refusal accepts the handshake, so the client can learn why"
    frame = await communicator.receive_json_from(timeout=2)
    assert frame["type"] == "error" and frame["error"]
    closed = await communicator.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"
    return frame["code"], closed["code"]
