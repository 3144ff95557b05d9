"""Public response targets: publishing them (each change a dated public record) and warning before a miss."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from forum import timeline
from forum.models import User, Vendor
from swarm import access, notify
from swarm.actions.common import vendor_data
from swarm.kinds import SwarmKind
from swarm.models import Escalation, ResponseTarget, TargetWarning

MAX_HOURS = 24 * 30
MAX_DAYS = 365
# Staff are warned when this share of the target's time is left (a 24-hour target: at 4.8 hours left).
WARN_FRACTION = 0.2
FIRST_REPLY = "first_reply"
RESOLUTION = "resolution"


def _number(value: object, *, what: str, most: int) -> int | None:
    """``what`` is a whole sentence's subject, already translated (languages inflect it differently)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit() and len(text) > 6:  # a huge number is out of range, not "not a number"
        raise ValidationError(
            gettext("%(what)s must be between 1 and %(most)s.") % {"what": what, "most": most}, code="out_of_range"
        )
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(
            gettext("%(what)s must be a whole number.") % {"what": what}, code="not_a_number"
        ) from None
    if not 1 <= number <= most:
        raise ValidationError(
            gettext("%(what)s must be between 1 and %(most)s.") % {"what": what, "most": most}, code="out_of_range"
        )
    return number


def publish_targets(
    *, admin: User, vendor: Vendor, first_reply_hours: object, resolution_days: object, now: datetime | None = None
) -> ResponseTarget:
    """Publish new targets (blank: none of that kind). The old ones stay, dated, in the public history."""
    access.require(
        admin,
        access.can_manage_teams(admin, vendor),
        gettext("Only %(name)s's admins can publish response targets.") % {"name": vendor.name},
    )
    hours = _number(first_reply_hours, what=gettext("The first-reply target in hours"), most=MAX_HOURS)
    days = _number(resolution_days, what=gettext("The resolution target in days"), most=MAX_DAYS)
    first_reply = timedelta(hours=hours) if hours else None
    resolution = timedelta(days=days) if days else None
    with transaction.atomic():
        # One writer per vendor, so two admins saving at once leave two ordered records, not a race.
        Vendor.objects.select_for_update().filter(pk=vendor.pk).values_list("pk", flat=True).get()
        current = current_target(vendor)
        if current is None and first_reply is None and resolution is None:
            raise ValidationError(gettext("Give a first-reply target, a resolution target, or both."), code="empty")
        if current is not None and (current.first_reply, current.resolution) == (first_reply, resolution):
            raise ValidationError(gettext("Those are already the published targets."), code="unchanged")
        return ResponseTarget.objects.create(
            vendor=vendor,
            first_reply=first_reply,
            resolution=resolution,
            set_by=admin,
            created_at=now or timezone.now(),
        )


def current_target(vendor: Vendor) -> ResponseTarget | None:
    return ResponseTarget.objects.filter(vendor=vendor).order_by("-created_at", "-pk").first()


def target_in_force(field: str) -> Subquery:
    """The vendor's target of ``field`` when the escalation was opened (a later change never rewrites history)."""
    rows = ResponseTarget.objects.filter(vendor=OuterRef("vendor"), created_at__lte=OuterRef("created_at"))
    return Subquery(rows.order_by("-created_at", "-pk").values(field)[:1])


def _at_risk(target: str, now: datetime) -> list[int]:
    """Ongoing escalations whose ``target`` falls due within its warning window, not met, not yet warned."""
    field = "first_reply" if target == FIRST_REPLY else "resolution"
    rows = Escalation.objects.filter(state__in=[Escalation.State.OPEN, Escalation.State.CLAIMED])
    if target == FIRST_REPLY:
        rows = rows.filter(first_staff_reply_at__isnull=True)
    rows = (
        rows.annotate(allowed=target_in_force(field))
        .filter(allowed__isnull=False)
        .exclude(pk__in=TargetWarning.objects.filter(target=target).values("escalation_id"))
    )
    # Warned from created + allowed * (1 - WARN_FRACTION) until it is due (after that it is a miss, not a risk).
    return [
        pk
        for pk, created, allowed in rows.values_list("pk", "created_at", "allowed")[:5000]
        if created + allowed * (1 - WARN_FRACTION) <= now < created + allowed
    ]


def warn_before_breach(*, now: datetime | None = None) -> int:
    """Tell staff once per escalation and target that it is about to be missed. Safe to run twice."""
    now = now or timezone.now()
    sent = 0
    for target in (FIRST_REPLY, RESOLUTION):
        for escalation_id in _at_risk(target, now):
            sent += _warn(escalation_id, target, now)
    return sent


def _warn(escalation_id: int, target: str, now: datetime) -> int:
    with transaction.atomic():
        escalation = access.lock_escalation(escalation_id)
        # Re-read under the lock: a reply or a resolution may have landed since the candidates were chosen.
        if not escalation.is_active or (target == FIRST_REPLY and escalation.first_staff_reply_at is not None):
            return 0
        try:
            with transaction.atomic():
                TargetWarning.objects.create(escalation=escalation, target=target, sent_at=now)
        except IntegrityError:
            return 0  # another run warned first
        event = timeline.record(
            thread=escalation.thread,
            kind=SwarmKind.TARGET_AT_RISK,
            actor=None,
            data=vendor_data(escalation) | {"target": target},
        )
        notify.target_at_risk(escalation, event)
    return 1
