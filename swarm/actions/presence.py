"""Presence: who is on a thread right now. Not history, so no timeline event.

A connection joins when it opens, refreshes ``last_seen`` with every ping,
and leaves when it closes. A connection whose process died simply stops
refreshing and drops out after PRESENCE_TTL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from forum.models import Membership, Thread, User
from swarm.models import Presence

PRESENCE_TTL = timedelta(seconds=20)
EXPERT_REPUTATION = 100


def _role(user: User | None) -> tuple[str, int | None]:
    if user is None or not user.is_authenticated:
        return Presence.Role.VISITOR, None
    membership = (
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED).order_by("verified_at", "id").first()
    )
    if membership is not None:
        return Presence.Role.STAFF, membership.vendor_id
    if user.reputation >= EXPERT_REPUTATION:
        return Presence.Role.EXPERT, None
    return Presence.Role.CUSTOMER, None


def join(*, thread: Thread, channel_name: str, user: User | None) -> None:
    role, vendor_id = _role(user)
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "thread": thread,
            "user": user if user is not None and user.is_authenticated else None,
            "vendor_id": vendor_id,
            "role": role,
            "last_seen": timezone.now(),
        },
    )


def refresh(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())


def leave(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).delete()


def summary(*, thread_id: int) -> dict[str, Any]:
    """Who is here, grouped by role; each person once however many tabs they have. One query."""
    since = timezone.now() - PRESENCE_TTL
    rows = (
        Presence.objects.filter(thread_id=thread_id, last_seen__gte=since)
        .select_related("user", "vendor")
        .order_by("user__username")
    )
    visitors = 0
    people: dict[int, Presence] = {}
    for row in rows:
        if row.user_id is None:
            visitors += 1
        else:
            people.setdefault(row.user_id, row)
    staff: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {"customers": [], "experts": []}
    for row in people.values():
        if row.role == Presence.Role.STAFF and row.vendor is not None:
            entry = staff.setdefault(
                row.vendor.handle, {"vendor": row.vendor.name, "handle": row.vendor.handle, "people": []}
            )
            entry["people"].append(row.user.name)
        elif row.role == Presence.Role.EXPERT:
            groups["experts"].append(row.user.name)
        else:
            groups["customers"].append(row.user.name)
    return {"visitors": visitors, **groups, "staff": sorted(staff.values(), key=lambda e: e["vendor"])}


def purge_stale() -> int:
    """Remove presence rows nobody refreshed for a long time (dead processes)."""
    deleted, _ = Presence.objects.filter(Q(last_seen__lt=timezone.now() - PRESENCE_TTL * 10)).delete()
    return deleted
