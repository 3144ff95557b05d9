"""Business hours: when a vendor is open, and when a target counted in open time falls due.

Pure (no database, no clock): ``clock()`` is the one place that turns an escalation's start and
its target into the moment it falls due and the moment the breach warning starts. The inbox
clocks, the breach warnings and the public "met the target" figures all call it.

Open hours are wall-clock times in the vendor's time zone. Each day's opening and closing are
turned into UTC instants before anything is added or subtracted, so a day on which the clocks
change is as long as it really is (Python's aware-datetime arithmetic within one zone would count
wall-clock time instead). A wall time that does not exist (inside a spring-forward gap) is read
with the offset before the change, which lands after the gap; an ambiguous one (fall-back) is the
first of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.dates import WEEKDAYS_ABBR

DAY_MINUTES = 24 * 60
DAY_NAMES = tuple(WEEKDAYS_ABBR[day] for day in range(7))  # Django's translated "Mon".."Sun", Monday first
# Staff are warned when this share of the target's time is left (a 24-hour target: at 4.8 hours left).
WARN_FRACTION = 0.2
# A week open only one minute could push a year's target decades away; this bounds the walk.
MAX_DAYS_WALKED = 366 * 40

Hours = tuple[int, int] | None  # (open, close) in minutes after local midnight, or closed


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError for a name the system does not know."""
    if name not in time_zones():
        raise ValueError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(name) from None


@dataclass(frozen=True)
class Week:
    """A vendor's weekly opening hours: one entry per weekday, Monday first."""

    zone_name: str
    days: tuple[Hours, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("a week has seven days")
        for hours in self.days:
            if hours is not None and not 0 <= hours[0] < hours[1] <= DAY_MINUTES:
                raise ValueError(f"bad opening hours {hours}")
        zone(self.zone_name)

    @property
    def is_ever_open(self) -> bool:
        return any(self.days)

    def describe(self) -> str:
        """ "Europe/Berlin, Mon–Fri 9–17, Sat 10–13:30": consecutive days with equal hours are grouped."""
        groups: list[tuple[int, int, tuple[int, int]]] = []
        for index, hours in enumerate(self.days):
            if hours is None:
                continue
            if groups and groups[-1][1] == index - 1 and groups[-1][2] == hours:
                groups[-1] = (groups[-1][0], index, hours)
            else:
                groups.append((index, index, hours))
        parts = []
        for first, last, (opens, closes) in groups:
            days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}–{DAY_NAMES[last]}"
            parts.append(f"{days} {_clock_time(opens)}–{_clock_time(closes)}")
        return ", ".join([self.zone_name, *parts])

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """That local day's opening and closing as UTC instants (None when closed)."""
        hours = self.days[day.weekday()]
        if hours is None:
            return None
        tz = zone(self.zone_name)
        midnight = datetime(day.year, day.month, day.day)
        opens, closes = ((midnight + timedelta(minutes=minute)).replace(tzinfo=tz).astimezone(UTC) for minute in hours)
        return (opens, closes) if closes > opens else None


def _clock_time(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}" if not rest else f"{hours}:{rest:02d}"


@dataclass(frozen=True)
class Clock:
    due: datetime
    warn_from: datetime  # the last WARN_FRACTION of the target's time starts here


def clock(start: datetime, *, allowed: timedelta, week: Week | None = None, in_days: bool = False) -> Clock:
    """When a target of ``allowed`` for an escalation opened at ``start`` falls due, and when to warn.

    ``week`` None: calendar time. Otherwise only open time counts: ``allowed`` hours of open time, or,
    with ``in_days``, ``allowed.days`` open days (due on the Nth open day after the day it arrived, at
    the same point of that day's hours: Wednesday 11:00 plus 2 days is Friday 11:00; arriving on a
    Saturday, it counts from Monday's opening). The warning starts when a fifth of the open time
    between start and due is left. Times come back in UTC.
    """
    start = start.astimezone(UTC)
    if week is None:
        due = start + allowed
        return Clock(due=due, warn_from=due - allowed * WARN_FRACTION)
    if not week.is_ever_open:
        raise ValueError("a week with no open hours never reaches a target")
    due = _advance_days(start, allowed.days, week) if in_days else _advance(start, allowed, week)
    total = _open_time(start, due, week)
    return Clock(due=due, warn_from=_advance(start, total * (1 - WARN_FRACTION), week))


def _days_from(start: datetime, week: Week):
    """Each local day from ``start``'s, with its open interval (UTC) clipped to begin no earlier than start."""
    day = start.astimezone(zone(week.zone_name)).date()
    for _ in range(MAX_DAYS_WALKED):
        interval = week.open_interval(day)
        if interval is not None and interval[1] > start:
            yield day, max(interval[0], start), interval[1]
        day += timedelta(days=1)
    raise ValueError("the target lies too far ahead in open time")


def _advance(start: datetime, allowed: timedelta, week: Week) -> datetime:
    """The instant at which ``allowed`` of open time has passed since ``start``."""
    remaining = allowed
    if remaining <= timedelta(0):
        return start
    for _day, begins, ends in _days_from(start, week):
        if ends - begins >= remaining:
            return begins + remaining
        remaining -= ends - begins
    raise AssertionError("unreachable")  # _days_from raises first


def _advance_days(start: datetime, days: int, week: Week) -> datetime:
    walked = _days_from(start, week)
    first_day, begins, _ends = next(walked)
    opens = week.open_interval(first_day)[0]  # type: ignore[index]  # an open day
    into_day = begins - opens  # open time of the arrival day already gone (0 before opening)
    if days <= 0:
        return begins
    for counted, (_day, day_opens, day_closes) in enumerate(walked, start=1):
        if counted == days:
            return min(day_opens + into_day, day_closes)
    raise AssertionError("unreachable")


def _open_time(start: datetime, end: datetime, week: Week) -> timedelta:
    """Open time between two instants."""
    total = timedelta(0)
    for _day, begins, ends in _days_from(start, week):
        if begins >= end:
            return total
        total += min(ends, end) - begins
    raise AssertionError("unreachable")
