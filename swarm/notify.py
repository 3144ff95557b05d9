"""Who hears about swarm events: live notifications (forum's bell) and background emails.

Staff hear of new escalations to their vendor and of activity on threads they
claimed; customers hear when their escalation is claimed, answered or
resolved. Only public events notify; staff notes never do.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from forum import notifications
from forum.models import Event, Membership, Notification, Thread, User
from swarm.models import Escalation, MeTooEmail, TeamMember

K = Notification.Kind


def _tell(event: Event, recipients: dict[int, str], *, override: bool = False) -> None:
    """Notify (bell, live) and email: swarm notices are always emailed."""
    notifications.notify(event, recipients, override=override, email=True)


def _staff_ids(vendor_id: int) -> list[int]:
    return list(
        Membership.objects.filter(
            vendor_id=vendor_id, status=Membership.Status.VERIFIED, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def escalated(escalation: Escalation, event: Event) -> None:
    _tell(event, dict.fromkeys(_staff_ids(escalation.vendor_id), K.ESCALATED))


def claimed(escalation: Escalation, event: Event) -> None:
    _tell(event, {escalation.thread.author_id: K.CLAIMED})


def target_at_risk(escalation: Escalation, event: Event) -> None:
    """The claimant, else the escalation's team, else all the vendor's staff: once (TargetWarning)."""
    if escalation.claimed_by_id:
        _tell(event, {escalation.claimed_by_id: K.CLAIM_ACTIVITY})
        return
    staff = set(_staff_ids(escalation.vendor_id))
    team = set(TeamMember.objects.filter(team_id=escalation.team_id).values_list("user_id", flat=True))
    _tell(event, dict.fromkeys((team & staff) or staff, K.ESCALATED))


def resolved(escalation: Escalation, event: Event) -> None:
    _tell(event, {escalation.thread.author_id: K.RESOLVED})


def handed_to(colleague: User, event: Event) -> None:
    _tell(event, {colleague.pk: K.CLAIM_ACTIVITY})


def unresolved(escalation: Escalation, event: Event) -> None:
    if escalation.claimed_by_id:
        _tell(event, {escalation.claimed_by_id: K.CLAIM_ACTIVITY})


def invited(author_id: int, event: Event) -> None:
    _tell(event, {author_id: K.INVITED})


def staff_answered(author_id: int, event: Event) -> None:
    """A vendor's staff replied on an escalated thread: the customer hears it as an answer, not just a reply."""
    _tell(event, {author_id: K.STAFF_ANSWER}, override=True)


def claim_activity(claimant_ids: list[int], event: Event) -> None:
    _tell(event, dict.fromkeys(claimant_ids, K.CLAIM_ACTIVITY), override=True)


def metoo(thread: Thread, event: Event) -> None:
    """Someone else has the problem: claimants hear it on the bell every time, by email at most once a window.

    Runs inside the me-too action, after the thread row was locked, so me-toos on one thread are counted in turn.
    """
    claimants = set(
        Escalation.objects.filter(thread=thread, state=Escalation.State.CLAIMED, claimed_by__isnull=False)
        .exclude(claimed_by=event.actor_id)
        .values_list("claimed_by_id", flat=True)
    )
    told = notifications.notify(event, dict.fromkeys(claimants, K.CLAIM_ACTIVITY), override=True)
    notifications.email_later(event, _metoo_emails_due(thread, told))


def _metoo_emails_due(thread: Thread, user_ids: list[int]) -> list[int]:
    """Who may be emailed about this thread's me-toos now; records the email for those who may."""
    if not user_ids:
        return []
    now = timezone.now()
    window = timedelta(minutes=settings.BARNRAISE.get("METOO_EMAIL_WINDOW_MINUTES", 60))
    last = dict(
        MeTooEmail.objects.filter(thread=thread, recipient_id__in=user_ids).values_list("recipient_id", "sent_at")
    )
    due = sorted(uid for uid in user_ids if uid not in last or last[uid] <= now - window)
    MeTooEmail.objects.filter(thread=thread, recipient_id__in=[uid for uid in due if uid in last]).update(sent_at=now)
    MeTooEmail.objects.bulk_create(
        [MeTooEmail(thread=thread, recipient_id=uid, sent_at=now) for uid in due if uid not in last]
    )
    return due
