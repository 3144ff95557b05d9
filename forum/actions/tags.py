"""Changing a thread's tags."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from forum import access, search, timeline
from forum.actions.common import lock_thread_row
from forum.models import EventKind, Thread, User
from forum.validation import parse_tags


def retag(*, user: User, thread: Thread, tags: str | list[str]) -> Thread:
    """Replace the thread's tags: its author, users with the retag privilege, and moderators."""
    if not access.can_retag(user, thread):
        if not user.is_authenticated:
            raise PermissionDenied(gettext("Log in to change tags."))
        needed = settings.BARNRAISE["PRIVILEGES"]["retag"]
        raise PermissionDenied(
            gettext("Changing the tags of someone else's thread needs %(needed)s reputation; you have %(reputation)s.")
            % {"needed": needed, "reputation": user.reputation}
        )
    new = parse_tags(tags)
    with transaction.atomic():
        thread = lock_thread_row(thread.pk)
        old = sorted(thread.tags.values_list("name", flat=True))
        if sorted(new) == old:
            raise ValidationError(gettext("The tags are unchanged."), code="unchanged")
        thread.tags.set(new)
        search.index_thread(thread)
        timeline.record(thread=thread, kind=EventKind.RETAGGED, actor=user, data={"old": old, "new": sorted(new)})
    return thread
