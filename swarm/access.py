"""Who may do what in the swarm workflow. Actions call these; templates only mirror them.

One condition per line, so tests can cover every branch. See docs/escalations.md
for the permission table.
"""

from __future__ import annotations

from forum.access import AnyUser, is_moderator, is_vendor_admin, is_vendor_staff
from forum.models import Thread, Vendor
from swarm.models import Escalation


def can_escalate(user: AnyUser, thread: Thread) -> bool:
    """Only the thread's author escalates; others join through "me too"."""
    if not user.is_authenticated or not user.is_active:
        return False
    return thread.author_id == user.pk


def can_metoo(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return thread.author_id != user.pk


def can_work_on(user: AnyUser, escalation: Escalation) -> bool:
    """Claim, release, hand off, resolve: the escalated vendor's verified staff."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_vendor_staff(user, escalation.vendor)


def can_see_notes(user: AnyUser, vendor: Vendor) -> bool:
    """Staff notes and the private stream: that vendor's verified staff, nobody else (not even moderators)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_vendor_staff(user, vendor)


def can_see_inbox(user: AnyUser, vendor: Vendor) -> bool:
    return can_see_notes(user, vendor)


def can_manage_radar(user: AnyUser, vendor: Vendor) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return is_vendor_admin(user, vendor)


def can_confirm(user: AnyUser, escalation: Escalation) -> bool:
    """Only the customer who asked confirms resolution and rates."""
    if not user.is_authenticated or not user.is_active:
        return False
    return escalation.thread.author_id == user.pk


def can_rate(user: AnyUser, escalation: Escalation) -> bool:
    """The customer who asked rates, unless they are the vendor's own staff (rating themselves)."""
    if not can_confirm(user, escalation):
        return False
    return not is_vendor_staff(user, escalation.vendor)


def can_moderate(user: AnyUser) -> bool:
    return is_moderator(user)
