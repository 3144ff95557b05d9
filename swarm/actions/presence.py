"""Presence: who is on a thread right now. Not history, so no timeline event and no database row.

A connection joins when it opens, refreshes its last-seen time with every
ping, and leaves when it closes. A connection whose process died simply stops
refreshing and drops out after PRESENCE_TTL.

Where it lives: with ``REDIS_URL`` set, in Redis, shared by every daphne
process (per thread: a sorted set of visitors' channels and one of logged-in
people's channels, scored by last-seen time, plus a hash of channel -> who;
every key expires when the thread is left alone). Without Redis, in this
process's memory (the embedded single-process default). Either way a ping is
one cheap write, and the summary counts visitors server-side and loads only
the logged-in people it names.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import redis

from forum.models import Membership, Thread, User
from forum.redis_client import client as redis_client

logger = logging.getLogger(__name__)

PRESENCE_TTL = 20.0  # seconds; the client pings every 5 s
# A thread's keys outlive its last ping by this much, then Redis drops them.
KEY_TTL = int(PRESENCE_TTL * 10)
EXPERT_REPUTATION = 100


class Role(StrEnum):
    VISITOR = "visitor"
    CUSTOMER = "customer"
    EXPERT = "expert"
    STAFF = "staff"


@dataclass(frozen=True)
class Here:
    """One connection: who holds it, as the summary shows them."""

    role: str
    user_id: int | None = None
    username: str = ""
    name: str = ""
    vendor: str = ""  # handle, for staff
    vendor_name: str = ""


def _now() -> float:
    return time.time()


def _here(user: User | None) -> Here:
    if user is None or not user.is_authenticated:
        return Here(role=Role.VISITOR)
    person = {"user_id": user.pk, "username": user.username, "name": user.name}
    membership = (
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED)
        .select_related("vendor")
        .order_by("verified_at", "id")
        .first()
    )
    if membership is not None:
        return Here(role=Role.STAFF, vendor=membership.vendor.handle, vendor_name=membership.vendor.name, **person)
    if user.reputation >= EXPERT_REPUTATION:
        return Here(role=Role.EXPERT, **person)
    return Here(role=Role.CUSTOMER, **person)


class MemoryStore:
    """One process's presence (no Redis configured)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: dict[int, dict[str, tuple[float, Here]]] = {}

    def touch(self, thread_id: int, channel_name: str, here: Here, now: float) -> None:
        with self.lock:
            self.threads.setdefault(thread_id, {})[channel_name] = (now, here)

    def remove(self, thread_id: int, channel_name: str) -> None:
        with self.lock:
            entries = self.threads.get(thread_id, {})
            entries.pop(channel_name, None)
            if not entries:
                self.threads.pop(thread_id, None)

    def live(self, thread_id: int, cutoff: float) -> tuple[int, list[Here]]:
        self.prune(cutoff, only=thread_id)
        with self.lock:
            entries = [here for _, here in self.threads.get(thread_id, {}).values()]
        people = [here for here in entries if here.user_id is not None]
        return len(entries) - len(people), people

    def prune(self, cutoff: float, only: int | None = None) -> int:
        removed = 0
        with self.lock:
            for thread_id in [only] if only is not None else list(self.threads):
                entries = self.threads.get(thread_id, {})
                stale = [channel for channel, (seen, _) in entries.items() if seen < cutoff]
                for channel in stale:
                    del entries[channel]
                removed += len(stale)
                if not entries:
                    self.threads.pop(thread_id, None)
        return removed


# Drops stale channels, then returns [visitor count, who-json of each live logged-in channel].
# One round trip; the visitor count never leaves Redis as a list.
_LIVE_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for i = 1, #stale, 500 do
  local chunk = {unpack(stale, i, math.min(i + 499, #stale))}
  redis.call('ZREM', KEYS[2], unpack(chunk))
  redis.call('HDEL', KEYS[3], unpack(chunk))
end
local live = redis.call('ZRANGE', KEYS[2], 0, -1)
local who = {}
for i = 1, #live, 500 do
  local chunk = redis.call('HMGET', KEYS[3], unpack(live, i, math.min(i + 499, #live)))
  for _, value in ipairs(chunk) do who[#who + 1] = value end
end
return {redis.call('ZCARD', KEYS[1]), who}
"""


class RedisStore:
    """Presence shared by every process through Redis."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    @staticmethod
    def keys(thread_id: int) -> tuple[str, str, str]:
        # The {hash tag} keeps a thread's keys in one slot, as a Lua script on a cluster needs.
        prefix = f"barnraise:presence:{{{thread_id}}}"
        return f"{prefix}:visitors", f"{prefix}:people", f"{prefix}:who"

    def touch(self, thread_id: int, channel_name: str, here: Here, now: float) -> None:
        visitors, people, who = self.keys(thread_id)
        pipe = self.redis.pipeline(transaction=False)
        if here.user_id is None:
            pipe.zadd(visitors, {channel_name: now})
        else:
            pipe.zadd(people, {channel_name: now})
            pipe.hset(who, channel_name, json.dumps(asdict(here), separators=(",", ":")))
        for key in (visitors, people, who):
            pipe.expire(key, KEY_TTL)
        pipe.execute()

    def remove(self, thread_id: int, channel_name: str) -> None:
        visitors, people, who = self.keys(thread_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrem(visitors, channel_name)
        pipe.zrem(people, channel_name)
        pipe.hdel(who, channel_name)
        pipe.execute()

    def live(self, thread_id: int, cutoff: float) -> tuple[int, list[Here]]:
        visitors, raw = self.redis.eval(_LIVE_SCRIPT, 3, *self.keys(thread_id), repr(cutoff))
        people = [Here(**json.loads(value)) for value in raw if value]
        return int(visitors), people

    def prune(self, cutoff: float, only: int | None = None) -> int:
        return 0  # keys expire by themselves, and live() drops stale channels of a thread it reads


_memory = MemoryStore()
# This process's own connections, so a ping can re-announce one that Redis lost (a restart).
_mine: dict[str, tuple[int, Here]] = {}
_mine_lock = threading.Lock()


def store() -> MemoryStore | RedisStore:
    connection = redis_client()
    return _memory if connection is None else RedisStore(connection)


def _safely(what: str, default: Any, operation: Any) -> Any:
    """Presence is a nicety: a Redis outage must not break a connection or a page."""
    try:
        return operation()
    except redis.RedisError as error:
        logger.warning("Presence %s skipped: Redis unavailable (%s)", what, error)
        return default


def join(*, thread: Thread, channel_name: str, user: User | None) -> None:
    here = _here(user)
    with _mine_lock:
        _mine[channel_name] = (thread.pk, here)
    _safely("join", None, lambda: store().touch(thread.pk, channel_name, here, _now()))


def refresh(*, channel_name: str) -> None:
    with _mine_lock:
        entry = _mine.get(channel_name)
    if entry is not None:
        thread_id, here = entry
        _safely("refresh", None, lambda: store().touch(thread_id, channel_name, here, _now()))


def leave(*, channel_name: str) -> None:
    with _mine_lock:
        entry = _mine.pop(channel_name, None)
    if entry is not None:
        _safely("leave", None, lambda: store().remove(entry[0], channel_name))


def summary(*, thread_id: int) -> dict[str, Any]:
    """Who is here, grouped by role; each person once however many tabs they have."""
    visitors, people = _safely("summary", (0, []), lambda: store().live(thread_id, _now() - PRESENCE_TTL))
    unique: dict[int, Here] = {}
    for here in sorted(people, key=lambda h: h.username):
        unique.setdefault(here.user_id, here)
    staff: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {"customers": [], "experts": []}
    for here in unique.values():
        if here.role == Role.STAFF and here.vendor:
            entry = staff.setdefault(here.vendor, {"vendor": here.vendor_name, "handle": here.vendor, "people": []})
            entry["people"].append(here.name)
        elif here.role == Role.EXPERT:
            groups["experts"].append(here.name)
        else:
            groups["customers"].append(here.name)
    return {"visitors": visitors, **groups, "staff": sorted(staff.values(), key=lambda e: e["vendor"])}


def purge_stale() -> int:
    """Forget connections nobody refreshed for a long time (dead processes); Redis expires its own."""
    return store().prune(_now() - PRESENCE_TTL * 10)
