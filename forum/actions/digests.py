"""Sending a person's daily digest, at most once per (UTC) day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from forum import digest
from forum.models import NotificationSettings, User

WINDOW = timedelta(hours=24)


def send_digest(*, user: User, now: datetime | None = None) -> bool:
    """Email the new threads of the last 24 hours in what the person follows; True if sent.

    Nothing goes out when the person opted out, has no email, already had
    today's digest, or nothing new appeared. The day is recorded in the
    transaction that sends the email, under the person's row lock: two workers
    send one digest, and a worker killed (or a mail server failing) before the
    send completes leaves the day unrecorded, so the next run sends it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        prefs = NotificationSettings.objects.select_for_update().select_related("user").filter(user=user).first()
        if prefs is None or not prefs.daily_digest or not prefs.user.is_active or not prefs.user.email:
            return False
        previous = prefs.digest_sent_at
        if previous is not None and previous.astimezone(UTC).date() == now.astimezone(UTC).date():
            return False
        since = max(now - WINDOW, previous) if previous is not None else now - WINDOW
        threads = digest.threads_for(prefs.user, since=since, until=now)
        if not threads:
            return False
        prefs.digest_sent_at = now
        prefs.save(update_fields=["digest_sent_at"])
        digest.message_for(prefs.user, threads, day=now).send()
    return True
