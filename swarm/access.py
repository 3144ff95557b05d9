"""Who may do what in the swarm workflow. Actions call these; templates only mirror them.

One condition per line, so tests can cover every branch. See docs/escalations.md
for the permission table. Every rule that lets someone act (not just read) starts
with ``_participant``: logged in, active and not suspended, so a suspended account
can read but cannot escalate, say me too, confirm, rate, claim, release, hand off,
resolve, write notes or change radar keywords. ``require`` gives the suspended the
suspension notice instead of the rule's own message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from forum.access import (
    AnyUser,
    is_moderator,
    is_participant,
    is_suspended,
    is_vendor_admin,
    is_vendor_staff,
    suspension_message,
)
from forum.models import Thread, Vendor
from swarm.models import Escalation


def _participant(user: AnyUser) -> bool:
    """The one check every swarm permission to act shares."""
    return is_participant(user)


def require(user: AnyUser, allowed: bool, message: str) -> None:
    """Refuse a swarm action with a message a person can read (the suspension notice when suspended)."""
    if allowed:
        return
    if is_suspended(user):
        raise PermissionDenied(suspension_message(user))
    raise PermissionDenied(message)


def can_escalate(user: AnyUser, thread: Thread) -> bool:
    """Only the thread's author escalates; others join through "me too"."""
    if not _participant(user):
        return False
    return thread.author_id == user.pk


def can_metoo(user: AnyUser, thread: Thread) -> bool:
    if not _participant(user):
        return False
    return thread.author_id != user.pk


def can_withdraw_metoo(user: AnyUser) -> bool:
    return _participant(user)


def can_work_for(user: AnyUser, vendor: Vendor) -> bool:
    """Act as the vendor's staff (claim, hand off, resolve, notes, radar hits): verified and not suspended."""
    if not _participant(user):
        return False
    return is_vendor_staff(user, vendor)


def can_work_on(user: AnyUser, escalation: Escalation) -> bool:
    """Claim, release, hand off, resolve: the escalated vendor's verified staff."""
    return can_work_for(user, escalation.vendor)


def can_write_note(user: AnyUser, vendor: Vendor) -> bool:
    return can_work_for(user, vendor)


def can_see_notes(user: AnyUser, vendor: Vendor) -> bool:
    """Staff notes and the private stream: that vendor's verified staff, nobody else (not even moderators)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_vendor_staff(user, vendor)


def can_see_inbox(user: AnyUser, vendor: Vendor) -> bool:
    return can_see_notes(user, vendor)


def can_manage_radar(user: AnyUser, vendor: Vendor) -> bool:
    if not _participant(user):
        return False
    return is_vendor_admin(user, vendor)


def can_confirm(user: AnyUser, escalation: Escalation) -> bool:
    """Only the customer who asked confirms resolution and rates."""
    if not _participant(user):
        return False
    return escalation.thread.author_id == user.pk


def can_rate(user: AnyUser, escalation: Escalation) -> bool:
    """The customer who asked rates, unless they are the vendor's own staff (rating themselves)."""
    if not can_confirm(user, escalation):
        return False
    return not is_vendor_staff(user, escalation.vendor)


def can_moderate(user: AnyUser) -> bool:
    return is_moderator(user)
