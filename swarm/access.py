"""Who may do what in the swarm workflow. Actions call these; templates only mirror them.

One condition per line, so tests can cover every branch. See docs/escalations.md
for the permission table. Every rule that lets someone act (not just read) starts
with ``_participant``: logged in, active and not suspended, so a suspended account
can read but cannot escalate, say me too, confirm, rate, claim, release, hand off,
resolve, write notes or change radar keywords. ``require`` gives the suspended the
suspension notice instead of the rule's own message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

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

ThreadCheck = Callable[[AnyUser, Thread], bool]
EscalationCheck = Callable[[AnyUser, Escalation], bool]


def _participant(user: AnyUser) -> bool:
    """The one check every swarm permission to act shares: a person, signed in, active, not suspended."""
    return is_participant(user)


def _acting_for_vendor(user: AnyUser) -> bool:
    """Staff work (claim, hand off, resolve, notes): a participant, or a vendor's API service account.

    Service accounts are never participants (they ask, reply and say "me too" for nobody), but a
    vendor key works that vendor's escalations; ``is_vendor_staff`` keeps it to its own vendor.
    """
    if user.is_authenticated and user.is_service_account:
        return user.is_active
    return _participant(user)


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


def can_act_for_vendors(user: AnyUser) -> bool:
    """The first half of ``can_work_for``: may act as staff at all (the second is verified staff of the vendor)."""
    return _acting_for_vendor(user)


def can_work_for(user: AnyUser, vendor: Vendor) -> bool:
    """Act as the vendor's staff (claim, hand off, resolve, notes, radar hits): verified and not suspended."""
    if not can_act_for_vendors(user):
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


def can_manage_teams(user: AnyUser, vendor: Vendor) -> bool:
    """Teams, routing rules and published response targets: the vendor's admins."""
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


# ---- Load, check and lock (the one lock order) -------------------------------------------------
#
# Every swarm action that changes a thread's swarm state locks the THREAD row first and only
# then the escalation row, through these helpers (like Zulip's ``access_message(...,
# lock_message=True)``). ``timeline.record()`` updates the thread row too, so an action that
# locked an escalation first and then recorded an event would take the two locks in the
# opposite order to one that starts from the thread, and the two could deadlock.


def lock_thread(thread_id: int) -> Thread:
    """The thread under a row lock. Must run inside the action's transaction."""
    thread = Thread.objects.select_for_update(no_key=True).filter(pk=thread_id).first()
    if thread is None:
        raise ValidationError(gettext("That thread no longer exists."), code="gone")
    return thread


def access_thread_for_update(user: AnyUser, thread_id: int, *, check: ThreadCheck, message: str) -> Thread:
    """Lock the thread, then check ``check(user, thread)``; PermissionDenied with ``message`` if it fails."""
    thread = lock_thread(thread_id)
    require(user, check(user, thread), message)
    return thread


def lock_escalation(escalation_id: int) -> Escalation:
    """The escalation and its thread under row locks, thread first. Must run inside the action's transaction."""
    thread_id = Escalation.objects.filter(pk=escalation_id).values_list("thread_id", flat=True).first()
    if thread_id is None:
        raise ValidationError(gettext("That escalation no longer exists."), code="gone")
    thread = lock_thread(thread_id)
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .filter(pk=escalation_id, thread_id=thread_id)
        .first()
    )
    if escalation is None:  # removed with its thread while we waited for the lock
        raise ValidationError(gettext("That escalation no longer exists."), code="gone")
    escalation.thread = thread  # the locked row: record() and the checks see what was just read
    return escalation


def access_escalation_for_update(
    user: AnyUser, escalation_id: int, *, check: EscalationCheck, message: str
) -> Escalation:
    """Load the escalation, lock its thread and then it, and check ``check(user, escalation)``.

    ``message`` is the refusal a person reads; ``{vendor}`` in it becomes the vendor's name.
    """
    escalation = lock_escalation(escalation_id)
    require(user, check(user, escalation), message.format(vendor=escalation.vendor.name))
    return escalation
