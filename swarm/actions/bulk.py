"""Inbox bulk actions: the same claim, release and move actions, one escalation (and one lock) at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from forum.models import User, Vendor
from swarm.actions import claims, teams
from swarm.models import Escalation, Team

BULK_MAX = 100
VERBS = ("claim", "release", "move")


@dataclass
class BulkResult:
    done: int = 0
    refused: list[str] = field(default_factory=list)  # "#12: someone has already claimed this", one per failure


def bulk_act(
    *, staff: User, vendor: Vendor, escalation_ids: list[int], verb: str, team: Team | None = None
) -> BulkResult:
    """Run one action on each chosen escalation of ``vendor``, each in its own transaction.

    Each call locks thread then escalation (swarm.access), so a bulk claim never holds two
    threads at once and cannot deadlock with anyone; one refusal does not undo the others.
    """
    if verb not in VERBS:
        raise ValidationError(gettext("Choose claim, release or move to a team."), code="bad_verb")
    if not escalation_ids:
        raise ValidationError(gettext("Select at least one escalation."), code="empty")
    if len(escalation_ids) > BULK_MAX:
        raise ValidationError(
            gettext("Select at most %(bulk_max)s escalations at once.") % {"bulk_max": BULK_MAX}, code="too_many"
        )
    if verb == "move" and team is not None and team.vendor_id != vendor.pk:
        raise ValidationError(gettext("That team belongs to another vendor."), code="wrong_vendor")
    result = BulkResult()
    rows = Escalation.objects.filter(vendor=vendor, pk__in=escalation_ids).order_by("pk")
    found = {e.pk: e for e in rows.select_related("vendor")}
    for pk in sorted(set(escalation_ids)):
        escalation = found.get(pk)
        if escalation is None:
            result.refused.append(f"#{pk}: not one of {vendor.name}'s escalations.")
            continue
        try:
            if verb == "claim":
                claims.claim(staff=staff, escalation=escalation)
            elif verb == "release":
                claims.release(staff=staff, escalation=escalation)
            else:
                teams.move_to_team(staff=staff, escalation=escalation, team=team)
        except (ValidationError, PermissionDenied) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            result.refused.append(f"#{pk}: {message}")
        else:
            result.done += 1
    return result
