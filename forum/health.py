"""Readiness checks for /readyz: the database, Redis when configured, and a recent worker heartbeat.

The worker says it is alive by writing the unix time to the cache key
``WORKER_HEARTBEAT_KEY`` (seen across processes when the cache is Redis) or, if the
project keeps them, ``forum.WorkerHeartbeat`` rows (``last_seen``). The check runs
only when ``READYZ_REQUIRE_WORKER`` is on.
"""

from __future__ import annotations

import logging
import time

import redis
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Max

from forum.redis_client import client as redis_client

logger = logging.getLogger(__name__)

WORKER_HEARTBEAT_KEY = "barnraise:worker:heartbeat"
OK = "ok"


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Readiness: database unreachable (%s)", error)
        return "unreachable"
    return OK


def redis_server() -> str:
    connection = redis_client()
    if connection is None:
        return "not configured"
    try:
        connection.ping()
    except redis.RedisError as error:
        logger.warning("Readiness: Redis unreachable (%s)", error)
        return "unreachable"
    return OK


def _last_beat() -> float | None:
    """Unix time of the newest heartbeat: the cache key, else a worker's heartbeat rows if the app keeps any."""
    beat = cache.get(WORKER_HEARTBEAT_KEY)
    if beat is not None:
        try:
            return float(beat)
        except (TypeError, ValueError):
            return None
    try:
        rows = apps.get_model("forum", "WorkerHeartbeat")
    except LookupError:
        return None
    last = rows.objects.aggregate(last=Max("last_seen"))["last"]
    return last.timestamp() if last is not None else None


def worker() -> str:
    if not settings.READYZ_REQUIRE_WORKER:
        return "not required"
    try:
        beat = _last_beat()
    except (redis.RedisError, OSError, DatabaseError) as error:  # the Redis cache or the database is down
        logger.warning("Readiness: cannot read the worker heartbeat (%s)", error)
        return "unknown"
    if beat is None:
        return "no heartbeat"
    age = time.time() - beat
    if age > settings.READYZ_WORKER_MAX_AGE:
        return f"last heartbeat {int(age)} s ago"
    return OK


def readiness() -> tuple[bool, dict[str, str]]:
    """Every check by name, and whether all of them passed (or do not apply)."""
    checks = {"database": database(), "redis": redis_server(), "worker": worker()}
    ready = all(value in (OK, "not configured", "not required") for value in checks.values())
    return ready, checks
