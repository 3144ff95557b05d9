"""Escalating a thread to a vendor, in public, and saying "me too"."""

from __future__ import annotations

import difflib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import access as forum_access
from forum import ratelimit, timeline
from forum.models import EventKind, Thread, ThreadVendor, User, Vendor
from forum.validation import normalise_text
from swarm import access, notify
from swarm.actions import teams
from swarm.actions.common import vendor_data
from swarm.live import wake_inboxes
from swarm.models import Escalation, MeToo


def find_vendor(handle: str) -> Vendor:
    """The vendor called @handle, or a clear message with the closest handles."""
    cleaned = normalise_text(handle or "").strip().lstrip("@").lower()
    if not cleaned:
        raise ValidationError(gettext("Name the vendor to escalate to, like @northwind."), code="no_handle")
    vendor = Vendor.objects.filter(handle=cleaned).first()
    if vendor is not None:
        return vendor
    handles = list(Vendor.objects.values_list("handle", flat=True)[:5000])
    close = difflib.get_close_matches(cleaned, handles, n=3, cutoff=0.6)
    close += [h for h in handles if cleaned in h and h not in close][: 3 - len(close)]
    hint = f" Did you mean {', '.join('@' + h for h in close)}?" if close else ""
    raise ValidationError(
        gettext("There is no vendor @%(value)s.%(hint)s") % {"value": cleaned[:40], "hint": hint}, code="unknown_vendor"
    )


def escalate(*, user: User, thread: Thread, handle: str) -> Escalation:
    """The thread's author asks a vendor for help, in public."""
    with transaction.atomic():
        thread = access.access_thread_for_update(
            user, thread.pk, check=access.can_escalate, message="Only the person who asked can escalate this thread."
        )
        vendor = find_vendor(handle)
        # Any escalation, finished ones too: the author reopens with "not solved" before confirming;
        # after that only a vendor's hand-off brings it back (a new case, never the old one reopened).
        if Escalation.objects.filter(thread=thread, vendor=vendor).exists():
            raise ValidationError(
                gettext("This thread is already escalated to @%(handle)s.") % {"handle": vendor.handle},
                code="duplicate",
            )
        return open_escalation(thread=thread, vendor=vendor, actor=user)


def open_escalation(
    *, thread: Thread, vendor: Vendor, actor: User, handed_from: Vendor | None = None, note: str = ""
) -> Escalation:
    """Create the escalation and its public ESCALATED event. Runs inside the caller's transaction."""
    now = timezone.now()
    escalation = Escalation.objects.create(
        thread=thread,
        vendor=vendor,
        escalated_by=actor,
        handed_from=handed_from,
        created_at=now,
        customer_posted_at=thread.last_activity_at,
        # Every caller holds the thread's row lock, as the me-too actions do: no me-too slips between.
        metoo_count=MeToo.objects.filter(thread=thread).count(),
    )
    ThreadVendor.objects.get_or_create(thread=thread, vendor=vendor, defaults={"last_activity_at": now})
    data = vendor_data(escalation) | {"handed_from": handed_from.handle if handed_from else None}
    event = timeline.record(thread=thread, kind=EventKind.ESCALATED, actor=actor, data=data)
    notify.escalated(escalation, event)
    teams.route(escalation)  # after ESCALATED, so a round-robin claim follows it on the timeline
    wake_inboxes([vendor.pk], "escalated")
    return escalation


def escalate_mentioned(*, thread: Thread, actor: User, handles: list[str]) -> list[Escalation]:
    """The author wrote @handle in the question or a reply: escalate to each vendor not yet on it."""
    if thread.author_id != actor.pk or not handles:
        return []
    # Any escalation to the vendor, ongoing or finished, counts as "on it" (the same rule as escalate()).
    vendors = Vendor.objects.filter(handle__in=handles).exclude(escalations__thread=thread).order_by("handle")
    return [open_escalation(thread=thread, vendor=vendor, actor=actor) for vendor in vendors]


def add_metoo(*, user: User, thread: Thread) -> int:
    """Another customer has the same problem. Returns the new count.

    Me-toos raise a thread in vendors' inboxes, so suspended and brand-new accounts can't add them.
    """
    access.require(user, access.can_metoo(user, thread), gettext("You can't say “me too” on your own thread."))
    refusal = metoo_refusal(user)
    forum_access.require(not refusal, refusal)
    return _set_metoo(user=user, thread=thread, present=True)


def metoo_refusal(user: User) -> str:
    """Why this signed-in account can't say "me too" yet, or "". The action and the thread panel share it."""
    if forum_access.is_suspended(user):
        return forum_access.suspension_message(user)
    if forum_access.is_new_account(user):
        days = settings.BARNRAISE["NEW_ACCOUNT_DAYS"]
        return gettext("New accounts can say “me too” after %(days)s days; until then, reply with what you see.") % {
            "days": days
        }
    return ""


def withdraw_metoo(*, user: User, thread: Thread) -> int:
    access.require(user, access.can_withdraw_metoo(user), gettext("Log in to change your “me too”."))
    return _set_metoo(user=user, thread=thread, present=False)


def _set_metoo(*, user: User, thread: Thread, present: bool) -> int:
    with transaction.atomic():
        thread = access.lock_thread(thread.pk)
        exists = MeToo.objects.filter(thread=thread, user=user).exists()
        if exists == present:
            message = "You already said “me too” here." if present else "You haven't said “me too” here."
            raise ValidationError(message, code="unchanged")
        ratelimit.check(user_id=user.pk, action="metoo")  # adding and withdrawing alike: no toggling storms
        if present:
            MeToo.objects.create(thread=thread, user=user)
        else:
            MeToo.objects.filter(thread=thread, user=user).delete()
        count = MeToo.objects.filter(thread=thread).count()
        # The inbox sorts by the copy on each escalation (finished ones too: they show it under "All").
        Escalation.objects.filter(thread=thread).update(metoo_count=count)
        kind = EventKind.METOO if present else EventKind.METOO_WITHDRAWN
        event = timeline.record(thread=thread, kind=kind, actor=user, data={"count": count})
        if present:
            notify.metoo(thread, event)
        wake_inboxes(Escalation.objects.filter(thread=thread).values_list("vendor_id", flat=True), "metoo")
    return count
