"""Pieces the swarm actions share."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from swarm.models import Escalation


def require_state(escalation: Escalation, *states: str, message: str) -> None:
    if escalation.state not in states:
        raise ValidationError(message, code="wrong_state")


def vendor_data(escalation: Escalation) -> dict[str, object]:
    """What every public swarm event says about the vendor it concerns."""
    return {"escalation": escalation.pk, "vendor": escalation.vendor.handle, "vendor_name": escalation.vendor.name}
