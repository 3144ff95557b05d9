"""Claiming an escalation, releasing it, handing it off, resolving it, and the customer's answer.

State machine (docs/escalations.md):
    open --claim--> claimed --resolve--> resolved --confirm(yes)--> confirmed
    claimed --release / idle--> open          resolved --confirm(no)--> claimed (or open)
    claimed --hand off to colleague--> claimed (new claimant)
    open/claimed --hand off to vendor--> handed_off (final), and a new open escalation for that vendor
The author accepting an answer also asks for confirmation: open, claimed and
resolved escalations can all be confirmed once the thread is solved.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import timeline
from forum.models import EventKind, Membership, Thread, User
from forum.validation import normalise_text
from swarm import access, notify
from swarm.actions.common import require_state, set_claimant, vendor_data
from swarm.actions.escalations import find_vendor, open_escalation
from swarm.actions.notes import write_note
from swarm.live import wake_inboxes
from swarm.models import Escalation

S = Escalation.State


STAFF_ONLY = "Only verified staff of {vendor} can work on this escalation."


def _lock_for_staff(staff: User, escalation: Escalation) -> Escalation:
    """Thread, then escalation, under row locks; refused unless ``staff`` works for its vendor."""
    return access.access_escalation_for_update(staff, escalation.pk, check=access.can_work_on, message=STAFF_ONLY)


def claim(*, staff: User, escalation: Escalation) -> Escalation:
    """A staff member takes the escalation, in public. One claimant per vendor and thread."""
    with transaction.atomic():
        escalation = _lock_for_staff(staff, escalation)
        if escalation.state == S.CLAIMED and escalation.claimed_by_id == staff.pk:
            raise ValidationError(gettext("You have already claimed this escalation."), code="unchanged")
        if escalation.state == S.CLAIMED:
            raise ValidationError(
                gettext("%(name)s has already claimed this; ask them to hand it to you.")
                % {"name": escalation.claimed_by.name},
                code="taken",
            )
        _require_active(escalation, message=gettext("This escalation is resolved; there is nothing to claim."))
        set_claimant(escalation, staff)
        event = timeline.record(
            thread=escalation.thread,
            kind=EventKind.CLAIMED,
            actor=staff,
            data=vendor_data(escalation) | {"claimant": staff.name},
        )
        notify.claimed(escalation, event)
        wake_inboxes([escalation.vendor_id], "claimed")
    return escalation


def release(*, staff: User, escalation: Escalation) -> Escalation:
    """Give the escalation back to the vendor's inbox."""
    with transaction.atomic():
        escalation = _lock_for_staff(staff, escalation)
        require_state(escalation, S.CLAIMED, message=gettext("Nobody has claimed this escalation."))
        _unclaim(escalation, actor=staff, reason="released")
    return escalation


def _unclaim(escalation: Escalation, *, actor: User | None, reason: str) -> None:
    previous = escalation.claimed_by
    escalation.state = S.OPEN
    escalation.claimed_by = None
    escalation.claimed_at = None
    escalation.save(update_fields=["state", "claimed_by", "claimed_at"])
    timeline.record(
        thread=escalation.thread,
        kind=EventKind.RELEASED,
        actor=actor,
        data=vendor_data(escalation) | {"reason": reason, "previous": previous.name if previous else None},
    )
    wake_inboxes([escalation.vendor_id], "released")


def hand_off(
    *,
    staff: User,
    escalation: Escalation,
    to_username: str | None = None,
    to_handle: str | None = None,
    note: str = "",
) -> Escalation:
    """Hand the escalation to a named colleague, or to another vendor with the whole history.

    Returns the escalation that now holds the work: the same one (colleague) or
    the other vendor's new one (this one then ends as handed_off).
    """
    if bool(to_username) == bool(to_handle):
        raise ValidationError(gettext("Hand it off to one colleague or to one vendor."), code="no_target")
    note = normalise_text(note or "")
    if len(note) > 2000:
        raise ValidationError(gettext("Keep the hand-off note under 2,000 characters."), code="too_long")
    if to_username:
        return _hand_to_colleague(staff=staff, escalation=escalation, username=to_username, note=note)
    return _hand_to_vendor(staff=staff, escalation=escalation, handle=to_handle or "", note=note)


def _find_colleague(staff: User, escalation: Escalation, username: str) -> User:
    username = normalise_text(username).strip().lstrip("@")
    colleague = (
        User.objects.filter(
            username__iexact=username,
            is_active=True,
            memberships__vendor=escalation.vendor,
            memberships__status=Membership.Status.VERIFIED,
        )
        .distinct()
        .first()
    )
    if colleague is None:
        raise ValidationError(
            gettext("@%(value)s is not verified staff of %(name)s.")
            % {"value": username[:40], "name": escalation.vendor.name},
            code="not_a_colleague",
        )
    if colleague.pk == staff.pk:
        raise ValidationError(gettext("That's you; claim it instead."), code="self")
    return colleague


def _hand_to_colleague(*, staff: User, escalation: Escalation, username: str, note: str) -> Escalation:
    with transaction.atomic():
        escalation = _lock_for_staff(staff, escalation)
        colleague = _find_colleague(staff, escalation, username)
        _require_active(escalation)
        set_claimant(escalation, colleague)
        event = timeline.record(
            thread=escalation.thread,
            kind=EventKind.HANDED_OFF,
            actor=staff,
            data=vendor_data(escalation) | {"to_user": colleague.name, "to_vendor": None, "claimant": colleague.name},
        )
        if note:
            write_note(thread=escalation.thread, vendor=escalation.vendor, author=staff, body=note)
        notify.handed_to(colleague, event)
        wake_inboxes([escalation.vendor_id], "handed_off")
    return escalation


def _hand_to_vendor(*, staff: User, escalation: Escalation, handle: str, note: str) -> Escalation:
    """This vendor's escalation ends as handed_off; the other vendor gets a new open one.

    A finished escalation the other vendor already has on the thread (confirmed, rated,
    or handed off) stays as it is: its state, rating and history belong to that case.
    """
    with transaction.atomic():
        escalation = _lock_for_staff(staff, escalation)
        thread = escalation.thread
        target = find_vendor(handle)
        if target.pk == escalation.vendor_id:
            raise ValidationError(
                gettext("To hand it to a colleague, name the person, not your own vendor."), code="same_vendor"
            )
        _require_active(escalation)
        # Under the thread lock nobody else can open one meanwhile (the constraint backs this up).
        if Escalation.objects.ongoing().filter(thread=thread, vendor=target).exists():
            raise ValidationError(
                gettext("@%(handle)s is already working on this thread.") % {"handle": target.handle}, code="duplicate"
            )
        timeline.record(
            thread=thread,
            kind=EventKind.HANDED_OFF,
            actor=staff,
            data=vendor_data(escalation) | {"to_user": None, "to_vendor": target.handle},
        )
        escalation.state = S.HANDED_OFF
        escalation.handed_to = target
        escalation.handed_off_at = timezone.now()
        escalation.claimed_by = None
        escalation.claimed_at = None
        escalation.save(update_fields=["state", "handed_to", "handed_off_at", "claimed_by", "claimed_at"])
        received = open_escalation(thread=thread, vendor=target, actor=staff, handed_from=escalation.vendor)
        if note:
            write_note(thread=thread, vendor=escalation.vendor, author=staff, body=note)
            write_note(thread=thread, vendor=target, author=staff, body=note)
        wake_inboxes([escalation.vendor_id], "handed_off")
    return received


def _require_active(escalation: Escalation, message: str = "This escalation is resolved; reopen it first.") -> None:
    """Open or claimed, or a message that says what became of it."""
    if escalation.state == S.HANDED_OFF:
        target = f"@{escalation.handed_to.handle}" if escalation.handed_to else "another vendor"
        raise ValidationError(
            gettext("%(name)s handed this off to %(target)s; it is theirs now.")
            % {"name": escalation.vendor.name, "target": target},
            code="wrong_state",
        )
    require_state(escalation, S.OPEN, S.CLAIMED, message=message)


def resolve(*, staff: User, escalation: Escalation) -> Escalation:
    """Staff say their part is done. Only the customer's confirmation marks the thread solved."""
    with transaction.atomic():
        escalation = _lock_for_staff(staff, escalation)
        _require_active(escalation, message=gettext("This escalation is already resolved."))
        now = timezone.now()
        escalation.state = S.RESOLVED
        escalation.resolved_at = now
        escalation.resolved_by = staff
        escalation.last_staff_activity_at = now
        escalation.save(update_fields=["state", "resolved_at", "resolved_by", "last_staff_activity_at"])
        event = timeline.record(
            thread=escalation.thread, kind=EventKind.RESOLVED, actor=staff, data=vendor_data(escalation)
        )
        notify.resolved(escalation, event)
        wake_inboxes([escalation.vendor_id], "resolved")
    return escalation


def awaiting_confirmation(escalation: Escalation, thread: Thread) -> bool:
    """Whether the customer is being asked "did this solve it?" for this escalation."""
    if escalation.state == S.RESOLVED:
        return True
    return escalation.is_active and thread.is_solved


def confirm(*, user: User, escalation: Escalation, solved: bool) -> Escalation:
    """The customer answers "did this solve it?". Yes closes it (and solves the thread); no reopens it."""
    with transaction.atomic():
        escalation = access.access_escalation_for_update(
            user, escalation.pk, check=access.can_confirm, message="Only the person who asked can confirm this."
        )
        thread = escalation.thread
        if solved and escalation.state == S.CONFIRMED:  # a second click, or a retry after a lost response
            raise ValidationError(gettext("You already confirmed this is solved."), code="unchanged")
        if not awaiting_confirmation(escalation, thread):
            raise ValidationError(
                gettext("There is nothing to confirm yet: accept an answer, or wait for the vendor to resolve it."),
                code="wrong_state",
            )
        if solved:
            _close(escalation, thread)
            event = timeline.record(
                thread=thread,
                kind=EventKind.CONFIRMED,
                actor=user,
                data=vendor_data(escalation) | {"solved_by_staff": escalation.solved_by_staff},
            )
        else:
            _reopen(escalation)
            event = timeline.record(
                thread=thread,
                kind=EventKind.UNRESOLVED,
                actor=user,
                data=vendor_data(escalation)
                | {"claimant": escalation.claimed_by.name if escalation.claimed_by else None},
            )
            notify.unresolved(escalation, event)
        wake_inboxes([escalation.vendor_id], "confirmed" if solved else "unresolved")
    return escalation


def _close(escalation: Escalation, thread: Thread) -> None:
    now = timezone.now()
    accepted_vendor = None
    if thread.accepted_post_id:
        accepted_vendor = thread.accepted_post.staff_vendor_id
    escalation.solved_by_staff = (
        accepted_vendor == escalation.vendor_id if thread.accepted_post_id else escalation.resolved_by_id is not None
    )
    escalation.state = S.CONFIRMED
    escalation.confirmed_at = now
    escalation.resolved_at = escalation.resolved_at or now
    escalation.save(update_fields=["state", "confirmed_at", "resolved_at", "solved_by_staff"])
    if not thread.is_solved:
        thread.status = Thread.Status.SOLVED
        thread.last_activity_at = now
        thread.save(update_fields=["status", "last_activity_at"])


def _reopen(escalation: Escalation) -> None:
    escalation.state = S.CLAIMED if escalation.claimed_by_id else S.OPEN
    escalation.resolved_at = None
    escalation.resolved_by = None
    escalation.save(update_fields=["state", "resolved_at", "resolved_by"])


def rate(*, user: User, escalation: Escalation, rating: int | str, comment: str = "") -> Escalation:
    """The customer rates the help they got, 1 to 5, once the escalation is confirmed."""
    with transaction.atomic():
        escalation = access.access_escalation_for_update(
            user, escalation.pk, check=access.can_confirm, message="Only the person who asked can rate the help."
        )
        access.require(
            user,
            access.can_rate(user, escalation),
            gettext("You are %(name)s staff: you can't rate your own vendor's help.")
            % {"name": escalation.vendor.name},
        )
        try:
            score = int(rating)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            raise ValidationError(gettext("Choose a rating from 1 to 5."), code="out_of_range")
        comment = normalise_text(comment or "").strip()
        if len(comment) > 2000:
            raise ValidationError(gettext("Keep the comment under 2,000 characters."), code="too_long")
        require_state(escalation, S.CONFIRMED, message=gettext("Confirm that it's solved before rating the help."))
        if escalation.rating is not None:
            # One rating per escalation: a changed rating would let the figures be nudged after the fact.
            raise ValidationError(
                gettext("You already rated %(name)s's help %(rating)s/5; a rating can't be changed.")
                % {"name": escalation.vendor.name, "rating": escalation.rating},
                code="already_rated",
            )
        escalation.rating = score
        escalation.rating_comment = comment
        escalation.rated_at = timezone.now()
        escalation.save(update_fields=["rating", "rating_comment", "rated_at"])
        timeline.record(
            thread=escalation.thread,
            kind=EventKind.RATED,
            actor=user,
            data=vendor_data(escalation) | {"rating": score},
        )
        wake_inboxes([escalation.vendor_id], "rated")
    return escalation


def release_idle_claims(*, now=None) -> int:
    """Return claims with no staff activity for CLAIM_IDLE_HOURS to the inbox, publicly. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.BARNRAISE["CLAIM_IDLE_HOURS"])
    released = 0
    idle = Escalation.objects.filter(state=S.CLAIMED, last_staff_activity_at__lt=cutoff).values_list("pk", flat=True)
    for pk in list(idle[:500]):
        with transaction.atomic():
            try:
                escalation = access.lock_escalation(pk)
            except ValidationError:
                continue  # its thread was deleted since we looked
            if escalation.state != S.CLAIMED or escalation.last_staff_activity_at >= cutoff:
                continue  # someone acted since we looked
            _unclaim(escalation, actor=None, reason="idle")
            released += 1
    return released
