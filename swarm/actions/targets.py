"""Public response targets: publishing them and the business hours they may count in (each change a
dated public record), and warning before a miss."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext

from forum import timeline
from forum.models import User, Vendor
from swarm import access, business_hours, notify
from swarm.actions.common import vendor_data
from swarm.business_hours import DAY_MINUTES, Week
from swarm.kinds import SwarmKind
from swarm.models import Escalation, ResponseTarget, TargetWarning

MAX_HOURS = 24 * 30
MAX_DAYS = 365
FIRST_REPLY = "first_reply"
RESOLUTION = "resolution"
DAY_LABELS = tuple(WEEKDAYS[day] for day in range(7))  # Django's own translated names, Monday first
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")  # a browser's time field may add seconds


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


def _require_admin(admin: User, vendor: Vendor) -> None:
    access.require(
        admin,
        access.can_manage_teams(admin, vendor),
        gettext("Only %(vendor)s's admins can publish response targets.") % {"vendor": vendor.name},
    )


def _publish(*, admin: User, vendor: Vendor, now: datetime | None, unchanged: str, **changes: object) -> ResponseTarget:
    """A new dated record: the current one with ``changes`` applied. Nothing is ever overwritten."""
    with transaction.atomic():
        # One writer per vendor, so two admins saving at once leave two ordered records, not a race.
        Vendor.objects.select_for_update().filter(pk=vendor.pk).values_list("pk", flat=True).get()
        current = current_target(vendor)
        fields = ("first_reply", "resolution", "business_hours", "time_zone", "opening_hours")
        before = (
            {f: getattr(current, f) for f in fields}
            if current
            else {f: ResponseTarget._meta.get_field(f).get_default() for f in fields}
        )
        after = before | changes
        no_targets = {"first_reply": None, "resolution": None}
        if "first_reply" in changes and (before | no_targets) == before and (after | no_targets) == after:
            # Withdrawing published targets is a change; publishing nothing over nothing is not.
            raise ValidationError(gettext("Give a first-reply target, a resolution target, or both."), code="empty")
        if current is not None and after == before:
            raise ValidationError(unchanged, code="unchanged")
        if after["business_hours"] and not after["time_zone"]:
            raise ValidationError(
                gettext("Set your business hours first, then count the targets in them."), code="no_hours"
            )
        return ResponseTarget.objects.create(vendor=vendor, set_by=admin, created_at=now or timezone.now(), **after)


def publish_targets(
    *,
    admin: User,
    vendor: Vendor,
    first_reply_hours: object,
    resolution_days: object,
    business_hours: bool = False,
    now: datetime | None = None,
) -> ResponseTarget:
    """Publish new targets (blank: none of that kind). The old ones stay, dated, in the public history.

    ``business_hours``: the clocks count only the vendor's open hours (set with ``set_business_hours``).
    """
    _require_admin(admin, vendor)
    hours = _number(first_reply_hours, what=gettext("The first-reply target in hours"), most=MAX_HOURS)
    days = _number(resolution_days, what=gettext("The resolution target in days"), most=MAX_DAYS)
    return _publish(
        admin=admin,
        vendor=vendor,
        now=now,
        unchanged=gettext("Those are already the published targets."),
        first_reply=timedelta(hours=hours) if hours else None,
        resolution=timedelta(days=days) if days else None,
        business_hours=bool(business_hours),
    )


def _minute(value: object, *, day: str, what: str) -> int:
    text = str(value).strip()
    match = _TIME.fullmatch(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    if not (0 <= hour <= 23 and 0 <= minute <= 59) and (hour, minute) != (24, 0):
        raise ValidationError(
            gettext("%(day)s's %(what)s time “%(value)s” is not a time like 09:00.")
            % {"day": day, "what": what, "value": text[:20]},
            code="bad_time",
        )
    return hour * 60 + minute


def _day_hours(opens: object, closes: object, *, day: str) -> list[int] | None:
    opens, closes = str(opens or "").strip(), str(closes or "").strip()
    if not opens and not closes:
        return None  # closed that day
    if not opens or not closes:
        raise ValidationError(
            gettext("Give both the opening and the closing time for %(day)s, or neither if you are closed.")
            % {"day": day},
            code="half_day",
        )
    start = _minute(opens, day=day, what=gettext("opening"))
    end = _minute(closes, day=day, what=gettext("closing"))
    if end == 0:
        end = DAY_MINUTES  # "until 00:00" is until midnight (00:00 to 00:00: the whole day)
    if end <= start or start >= DAY_MINUTES:
        raise ValidationError(
            gettext(
                "On %(day)s the closing time must come after the opening time. For hours past midnight, "
                "close at 24:00 and open the next day at 00:00."
            )
            % {"day": day},
            code="closes_before_opening",
        )
    return [start, end]


def set_business_hours(
    *, admin: User, vendor: Vendor, time_zone: str, days: Sequence[tuple[object, object]], now: datetime | None = None
) -> ResponseTarget:
    """Set the time zone and weekly hours (seven (open, close) "HH:MM" pairs, Monday first; blank: closed).

    A new dated public record, like a target change; targets counted in business hours use it from now on.
    """
    _require_admin(admin, vendor)
    zone_name = str(time_zone or "").strip()[:64]
    try:
        business_hours.zone(zone_name)
    except ValueError:
        raise ValidationError(
            gettext("“%(zone)s” is not a time zone we know. Choose one such as Europe/Berlin.") % {"zone": zone_name},
            code="bad_zone",
        ) from None
    if len(days) != 7:
        raise ValidationError(gettext("Give the hours of all seven days."), code="bad_week")
    week = [_day_hours(o, c, day=label) for (o, c), label in zip(days, DAY_LABELS, strict=True)]
    if not any(week):
        raise ValidationError(gettext("Open on at least one day."), code="never_open")
    if sum(day[1] - day[0] for day in week if day) < 60:
        # Less would push the longest targets decades away (business_hours.MAX_DAYS_WALKED).
        raise ValidationError(gettext("Be open at least one hour a week."), code="too_few_hours")
    Week(zone_name, tuple(tuple(d) if d else None for d in week))  # the same checks the clocks rely on
    return _publish(
        admin=admin,
        vendor=vendor,
        now=now,
        unchanged=gettext("Those are already your business hours."),
        time_zone=zone_name,
        opening_hours=week,
    )


def current_target(vendor: Vendor) -> ResponseTarget | None:
    return ResponseTarget.objects.filter(vendor=vendor).order_by("-created_at", "-pk").first()


def target_in_force(field: str) -> Subquery:
    """The vendor's target of ``field`` when the escalation was opened (a later change never rewrites history)."""
    rows = ResponseTarget.objects.filter(vendor=OuterRef("vendor"), created_at__lte=OuterRef("created_at"))
    return Subquery(rows.order_by("-created_at", "-pk").values(field)[:1])


def counted_weeks(target_ids: Iterable[int | None]) -> dict[int, Week]:
    """The business hours of those target records that count in them (calendar ones are left out). One query."""
    ids = {pk for pk in target_ids if pk is not None}
    if not ids:
        return {}
    return {t.pk: t.counted_in for t in ResponseTarget.objects.filter(pk__in=ids, business_hours=True)}


def clock_for(target: str, *, opened: datetime, allowed: timedelta, week: Week | None) -> business_hours.Clock:
    """One escalation's clock against one target; resolution targets in business hours count open days."""
    return business_hours.clock(opened, allowed=allowed, week=week, in_days=target == RESOLUTION)


def _at_risk(target: str, now: datetime) -> list[int]:
    """Ongoing escalations whose ``target`` falls due within its warning window, not met, not yet warned."""
    field = "first_reply" if target == FIRST_REPLY else "resolution"
    rows = Escalation.objects.filter(state__in=[Escalation.State.OPEN, Escalation.State.CLAIMED])
    if target == FIRST_REPLY:
        rows = rows.filter(first_staff_reply_at__isnull=True)
    rows = (
        rows.annotate(allowed=target_in_force(field), target_pk=target_in_force("pk"))
        .filter(allowed__isnull=False)
        .exclude(pk__in=TargetWarning.objects.filter(target=target).values("escalation_id"))
    )
    candidates = list(rows.values_list("pk", "created_at", "allowed", "target_pk")[:5000])
    weeks = counted_weeks(row[3] for row in candidates)
    at_risk = []
    for pk, created, allowed, target_pk in candidates:
        clock = clock_for(target, opened=created, allowed=allowed, week=weeks.get(target_pk))
        if clock.warn_from <= now < clock.due:  # after due it is a miss, not a risk
            at_risk.append(pk)
    return at_risk


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
