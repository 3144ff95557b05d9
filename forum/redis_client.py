"""One shared Redis client per process, for the few things that talk to Redis directly.

The channel layer and the cache have their own connections; presence and the
readiness probe use this one. ``None`` when ``REDIS_URL`` is not set.
"""

from __future__ import annotations

import threading

import redis
from django.conf import settings

# Short timeouts: a Redis outage must make presence and /readyz answer quickly, not hang a request.
SOCKET_TIMEOUT = 1.0

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis | None:
    """The client for ``settings.REDIS_URL`` (read at call time, so tests can point it elsewhere)."""
    url = settings.REDIS_URL
    if not url:
        return None
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
            )
        return _clients[url]
