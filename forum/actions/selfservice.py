"""Self-service before posting: which suggestions people opened, and whether they posted anyway.

An open is counted from a POST beacon the /ask/ page sends when someone opens
a suggestion, never from a GET. The page carries a signed *ask session*
(``new_ask_session``), the suggestions fragment signs each suggested thread
into it (``suggestion_token``), and ``record_suggestion_open`` counts a token
once per (ask session, thread), for the person it was made for only.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from forum import ratelimit
from forum.access import AnyUser
from forum.models import SuggestionOpen, Thread, User

# Posting within this long after opening a suggestion means the suggestion did not help.
CONVERSION_WINDOW = timedelta(hours=1)
# An ask session (one visit to /ask/) and the suggestions made in it are good for this long.
ASK_SESSION_MAX_AGE = timedelta(hours=6)
_SESSION_SALT = "barnraise.selfservice.ask-session"
_OPEN_SALT = "barnraise.selfservice.suggestion"
NOT_OFFERED = gettext_lazy("That thread was not suggested to you on this visit to the ask page.")


def new_ask_session(user: AnyUser) -> str:
    """A signed id for one visit to /ask/ by this person (nothing is stored)."""
    if not user.is_authenticated:
        return ""
    return signing.dumps({"u": user.pk, "s": secrets.token_hex(8)}, salt=_SESSION_SALT)


def ask_session_id(user: AnyUser, token: str) -> str:
    """The id inside the page's ask-session token, or "" when it is missing, forged, stale or someone else's."""
    if not user.is_authenticated or not token:
        return ""
    try:
        data = signing.loads(token, salt=_SESSION_SALT, max_age=ASK_SESSION_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return ""
    return str(data.get("s", ""))[:32]


def suggestion_token(*, user: AnyUser, session_id: str, thread_id: int) -> str:
    """What the beacon sends back when this suggestion is opened: who, which visit, which thread."""
    return signing.dumps({"u": user.pk, "s": session_id, "t": thread_id}, salt=_OPEN_SALT)


def record_suggestion_open(*, user: User, token: str, thread_id: int | str, address: str = "") -> SuggestionOpen | None:
    """The beacon: someone opened a thread suggested on /ask/. Returns the new open, or None if already counted.

    Private analytics, so no timeline event. Counted once per ask session and
    thread, and repeat opens of one thread by one person within the
    conversion window count once too. Limited per person and per address.
    """
    try:
        data = signing.loads(token or "", salt=_OPEN_SALT, max_age=ASK_SESSION_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(NOT_OFFERED, code="not_offered") from None
    if not isinstance(data, dict) or data.get("u") != user.pk or str(data.get("t")) != str(thread_id):
        raise ValidationError(NOT_OFFERED, code="not_offered")
    thread = Thread.objects.filter(pk=data["t"]).only("pk").first()
    if thread is None:
        raise ValidationError(gettext("That thread no longer exists."), code="gone")
    ratelimit.check(user_id=user.pk, action="suggestion_open")
    if address:
        ratelimit.check_address(address=address, action="suggestion_open")
    now = timezone.now()
    session_id = str(data.get("s", ""))[:32]
    recent = SuggestionOpen.objects.filter(user=user, thread=thread, opened_at__gte=now - CONVERSION_WINDOW)
    if recent.exists():
        return None
    try:
        with transaction.atomic():
            return SuggestionOpen.objects.create(user=user, thread=thread, ask_session=session_id, opened_at=now)
    except IntegrityError:  # the same ask session and thread, counted by a concurrent beacon
        return None


def record_conversion(*, user: User) -> int:
    """The user posted a thread: their opens of the last hour were not deflections. Returns how many."""
    since = timezone.now() - CONVERSION_WINDOW
    opens = SuggestionOpen.objects.filter(opened_at__gte=since, converted=False, user=user)
    return opens.update(converted=True)
