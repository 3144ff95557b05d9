"""Readiness checks for /readyz: the database, Redis when configured, and a recent worker heartbeat.

The worker writes the unix time to the cache key ``WORKER_HEARTBEAT_KEY`` while it
runs; the check reads it only when ``READYZ_REQUIRE_WORKER`` is on, and needs a cache
shared with the worker (Redis) to see it.
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

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


def worker() -> str:
    if not settings.READYZ_REQUIRE_WORKER:
        return "not required"
    try:
        beat = cache.get(WORKER_HEARTBEAT_KEY)
    except (redis.RedisError, OSError) as error:  # the Redis cache is down
        logger.warning("Readiness: cannot read the worker heartbeat (%s)", error)
        return "unknown"
    if beat is None:
        return "no heartbeat"
    try:
        age = time.time() - float(beat)
    except (TypeError, ValueError):
        return "no heartbeat"
    if age > settings.READYZ_WORKER_MAX_AGE:
        return f"last heartbeat {int(age)} s ago"
    return OK


def readiness() -> tuple[bool, dict[str, str]]:
    """Every check by name, and whether all of them passed (or do not apply)."""
    checks = {"database": database(), "redis": redis_server(), "worker": worker()}
    ready = all(value in (OK, "not configured", "not required") for value in checks.values())
    return ready, checks
