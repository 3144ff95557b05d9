"""Pieces the swarm actions share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from forum.models import User
from swarm.models import Escalation


def require_state(escalation: Escalation, *states: str, message: str) -> None:
    if escalation.state not in states:
        raise ValidationError(message, code="wrong_state")


def vendor_data(escalation: Escalation) -> dict[str, object]:
    """What every public swarm event says about the vendor it concerns."""
    return {"escalation": escalation.pk, "vendor": escalation.vendor.handle, "vendor_name": escalation.vendor.name}


def set_claimant(escalation: Escalation, staff: User) -> None:
    """Make ``staff`` the claimant (a claim, a hand-off to a colleague, a round-robin assignment)."""
    now = timezone.now()
    escalation.state = Escalation.State.CLAIMED
    escalation.claimed_by = staff
    escalation.claimed_at = now
    escalation.first_claimed_at = escalation.first_claimed_at or now
    escalation.last_staff_activity_at = now
    escalation.save(update_fields=["state", "claimed_by", "claimed_at", "first_claimed_at", "last_staff_activity_at"])
