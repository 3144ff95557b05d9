"""swarm.business_hours.clock: when a target counted in open time falls due, across weekends, nights and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from swarm.business_hours import Week, clock

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
NINE_TO_FIVE = Week("Europe/Berlin", ((540, 1020),) * 5 + (None, None))
ALWAYS = Week("Europe/Berlin", ((0, 1440),) * 7)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def due(start: datetime, allowed: timedelta, week: Week | None, *, in_days: bool = False) -> datetime:
    return clock(start, allowed=allowed, week=week, in_days=in_days).due.astimezone(BERLIN)


@pytest.mark.parametrize(
    ("start", "allowed", "expected"),
    [
        # Monday 2026-11-16. Within the day; before opening; after closing; over the weekend.
        (berlin(2026, 11, 16, 10, 0), 2 * H, berlin(2026, 11, 16, 12, 0)),
        (berlin(2026, 11, 16, 7, 0), H, berlin(2026, 11, 16, 10, 0)),
        (berlin(2026, 11, 16, 16, 30), H, berlin(2026, 11, 17, 9, 30)),  # the night does not count
        (berlin(2026, 11, 20, 16, 0), 2 * H, berlin(2026, 11, 23, 10, 0)),  # Friday 16:00 -> Monday 10:00
        (berlin(2026, 11, 21, 12, 0), H, berlin(2026, 11, 23, 10, 0)),  # arrived on Saturday
        (berlin(2026, 11, 16, 9, 0), 40 * H, berlin(2026, 11, 20, 17, 0)),  # exactly a week's hours
        (berlin(2026, 11, 16, 9, 0), 41 * H, berlin(2026, 11, 23, 10, 0)),
    ],
)
def test_only_open_hours_count(start, allowed, expected):
    assert due(start, allowed, NINE_TO_FIVE) == expected


def test_business_days_land_on_the_same_point_of_a_later_open_day():
    assert due(berlin(2026, 11, 18, 11, 0), timedelta(days=2), NINE_TO_FIVE, in_days=True) == berlin(2026, 11, 20, 11)
    assert due(berlin(2026, 11, 20, 16, 0), timedelta(days=2), NINE_TO_FIVE, in_days=True) == berlin(2026, 11, 24, 16)
    # Arriving on Saturday or after closing counts from the next opening.
    assert due(berlin(2026, 11, 21, 12, 0), timedelta(days=2), NINE_TO_FIVE, in_days=True) == berlin(2026, 11, 25, 9)
    assert due(berlin(2026, 11, 19, 18, 0), timedelta(days=1), NINE_TO_FIVE, in_days=True) == berlin(2026, 11, 23, 9)


def test_a_day_when_the_clocks_go_forward_has_23_real_hours():
    # Sunday 2026-03-29: 02:00 becomes 03:00 in Berlin. Open around the clock, 24 real hours of
    # open time from Saturday noon end at 13:00 on Sunday's wall clock.
    start = berlin(2026, 3, 28, 12, 0)
    result = clock(start, allowed=24 * H, week=ALWAYS).due
    assert result == start.astimezone(UTC) + 24 * H
    assert result.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 13, 0)


def test_night_hours_across_the_change_count_real_time():
    nights = Week("Europe/Berlin", ((60, 240),) * 7)  # 01:00-04:00 local, every day
    # Spring forward: 01:00-04:00 on 29 March is two real hours, so three hours end at 01:00 next night.
    assert due(berlin(2026, 3, 29, 0, 0), 3 * H, nights) == berlin(2026, 3, 30, 2, 0)
    assert due(berlin(2026, 3, 29, 0, 0), 2 * H, nights) == berlin(2026, 3, 29, 4, 0)
    # Fall back: 01:00-04:00 on 25 October is four real hours (02:00-03:00 happens twice).
    start = berlin(2026, 10, 25, 0, 0)
    assert clock(start, allowed=4 * H, week=nights).due == berlin(2026, 10, 25, 4, 0).astimezone(UTC)
    assert due(start, 5 * H, nights) == berlin(2026, 10, 26, 2, 0)


def test_a_weekend_that_crosses_the_change_keeps_monday_opening_at_local_nine():
    # Friday 27 March 16:00 CET (15:00 UTC) + 3 open hours: one on Friday, two on Monday in CEST.
    result = clock(berlin(2026, 3, 27, 16, 0), allowed=3 * H, week=NINE_TO_FIVE).due
    assert result == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 11:00 CEST
    # Same in autumn: Monday 26 October opens at 09:00 CET = 08:00 UTC.
    assert clock(berlin(2026, 10, 23, 17, 0), allowed=H, week=NINE_TO_FIVE).due == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )


def test_the_time_zone_is_the_vendors_not_the_servers():
    new_york = Week("America/New_York", ((540, 1020),) * 5 + (None, None))
    # 15:00 UTC on Monday 16 November is 10:00 in New York (open) but 16:00 in Berlin.
    start = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    assert clock(start, allowed=2 * H, week=new_york).due == datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
    assert clock(start, allowed=2 * H, week=NINE_TO_FIVE).due == datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def test_hours_to_midnight_join_the_next_days_hours():
    late = Week("Europe/Berlin", ((1200, 1440), (0, 120), None, None, None, None, None))
    assert due(berlin(2026, 11, 16, 23, 0), 2 * H, late) == berlin(2026, 11, 17, 1, 0)


def test_the_warning_starts_with_a_fifth_of_the_open_time_left():
    start = berlin(2026, 11, 16, 9, 0)
    timing = clock(start, allowed=10 * H, week=NINE_TO_FIVE)
    assert timing.due == berlin(2026, 11, 17, 11, 0)
    assert timing.warn_from == berlin(2026, 11, 16, 17, 0)  # 8 of the 10 open hours gone
    calendar = clock(start, allowed=10 * H)
    assert (calendar.due, calendar.warn_from) == (start + 10 * H, start + 8 * H)


def test_calendar_time_when_there_are_no_business_hours_is_real_elapsed_time():
    start = berlin(2026, 3, 28, 12, 0)  # 11:00 UTC; the night after has no 02:00-03:00
    assert clock(start, allowed=24 * H).due == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    assert start + 24 * H != datetime(2026, 3, 29, 11, 0, tzinfo=UTC)  # wall-clock arithmetic would be an hour off


def test_bad_weeks_are_refused_and_a_week_reads_as_people_write_it():
    with pytest.raises(ValueError):
        Week("Mars/Olympus", ((540, 1020),) * 7)
    with pytest.raises(ValueError):
        Week("Europe/Berlin", ((1020, 540),) * 7)  # closes before it opens
    with pytest.raises(ValueError):
        clock(berlin(2026, 11, 16, 9, 0), allowed=H, week=Week("Europe/Berlin", (None,) * 7))
    assert NINE_TO_FIVE.describe() == "Europe/Berlin, Mon–Fri 9–17"
    odd = Week("Europe/Berlin", ((540, 1020), (540, 1020), None, (540, 1020), (570, 810), (600, 780), None))
    assert odd.describe() == "Europe/Berlin, Mon–Tue 9–17, Thu 9–17, Fri 9:30–13:30, Sat 10–13"


def test_the_longest_targets_on_the_thinnest_week_still_fall_due():
    # An hour a week (what set_business_hours accepts at least): 720 open hours is 720 weeks away.
    thin = Week("Europe/Berlin", ((540, 600), None, None, None, None, None, None))
    start = berlin(2026, 11, 16, 9, 0)
    assert due(start, 720 * H, thin) == berlin(2026, 11, 16, 10, 0) + timedelta(weeks=719)
    assert due(start, timedelta(days=365), thin, in_days=True) == berlin(2026, 11, 16, 9, 0) + timedelta(weeks=365)
