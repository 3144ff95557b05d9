"""Self-service before posting: which suggestions people opened, and whether they posted anyway."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from forum.models import SuggestionOpen, Thread, User

# Posting within this long after opening a suggestion means the suggestion did not help.
CONVERSION_WINDOW = timedelta(hours=1)


def record_suggestion_open(*, user: User, thread: Thread, session_key: str = "") -> SuggestionOpen | None:
    """Someone on /ask/ opened a suggested thread. Repeat opens within the window count once.

    Private analytics, so no timeline event. Visitors can't ask, so only people
    logged in are counted (a shared link carrying the marker counts nothing).
    """
    if not user.is_authenticated:
        return None
    now = timezone.now()
    recent = SuggestionOpen.objects.filter(user=user, thread=thread, opened_at__gte=now - CONVERSION_WINDOW)
    existing = recent.order_by("-opened_at").first()
    if existing is not None:
        return existing
    return SuggestionOpen.objects.create(user=user, thread=thread, session_key=session_key[:40], opened_at=now)


def record_conversion(*, user: User) -> int:
    """The user posted a thread: their opens of the last hour were not deflections. Returns how many."""
    since = timezone.now() - CONVERSION_WINDOW
    opens = SuggestionOpen.objects.filter(opened_at__gte=since, converted=False, user=user)
    return opens.update(converted=True)
