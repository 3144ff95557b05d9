"""Who hears about swarm events: live notifications (forum's bell) and background emails.

Staff hear of new escalations to their vendor and of activity on threads they
claimed; customers hear when their escalation is claimed, answered or
resolved. Only public events notify; staff notes never do.
"""

from __future__ import annotations

from forum import notifications
from forum.models import Event, Membership, Notification, User
from swarm.models import Escalation

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
