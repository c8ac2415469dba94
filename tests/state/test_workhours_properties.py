"""Working-time arithmetic agrees with itself for any zone, shift and span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from farwatch.state.workhours import Schedule

ZONES = (
    "America/New_York",
    "Europe/London",
    "Europe/Kyiv",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Manila",
)
HOURS = ("09:00-17:00", "22:00-06:00", "09:00-12:00,13:00-18:00", "02:30-03:30", "00:00-24:00")
DAYS = ("Mon-Fri", "Sun-Thu", "Sat", "daily", "Mon,Wed,Fri")

schedules = st.builds(
    Schedule.parse, st.sampled_from(ZONES), st.sampled_from(HOURS), st.sampled_from(DAYS)
)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(schedules, instants, st.integers(0, 40 * 86400), st.integers(0, 40 * 86400))
def test_working_time_adds_up_over_a_split_span(
    schedule: Schedule, start: datetime, first: int, second: int
) -> None:
    middle = start + timedelta(seconds=first)
    end = middle + timedelta(seconds=second)
    whole = schedule.working_seconds_between(start, end)
    parts = schedule.working_seconds_between(start, middle) + schedule.working_seconds_between(
        middle, end
    )
    assert abs(whole - parts) < 1e-6
    assert 0 <= whole <= (end - start).total_seconds()


@settings(max_examples=150, deadline=None)
@given(schedules, instants, st.integers(1, 30 * 86400))
def test_adding_working_time_undoes_measuring_it(
    schedule: Schedule, start: datetime, span: int
) -> None:
    end = start + timedelta(seconds=span)
    worked = schedule.working_seconds_between(start, end)
    if worked == 0:
        return
    reached = schedule.add_working_seconds(start, worked)
    assert reached is not None and reached <= end
    assert abs(schedule.working_seconds_between(start, reached) - worked) < 1e-6
    assert schedule.is_working(reached - timedelta(microseconds=1))


@settings(max_examples=150, deadline=None)
@given(schedules, instants)
def test_is_working_matches_the_intervals(schedule: Schedule, at: datetime) -> None:
    tick = timedelta(microseconds=1)
    assert schedule.is_working(at) == (schedule.working_seconds_between(at, at + tick) > 0)
    upcoming = schedule.next_start(at)
    if upcoming is not None:
        assert upcoming >= at
        assert schedule.is_working(upcoming)
        assert not schedule.is_working(upcoming - tick)


PATTERN_ZONES = (*ZONES, "Africa/Casablanca", "America/Sao_Paulo", "UTC+05:30", "UTC")
pattern_schedules = st.builds(
    Schedule.parse, st.sampled_from(PATTERN_ZONES), st.sampled_from(HOURS), st.sampled_from(DAYS)
)


@settings(max_examples=150, deadline=None)
@given(
    pattern_schedules,
    st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(0, 3 * 365 * 86400),
)
def test_long_spans_from_the_weekly_pattern_equal_walking_every_day(
    schedule: Schedule, start: datetime, seconds: int
) -> None:
    """Years apart, the weekly pattern plus the days around offset changes (DST, a
    zone's Ramadan suspension, Sao Paulo's abolished DST) give exactly what adding
    up each day's real intervals gives."""
    end = start + timedelta(seconds=seconds)
    walked = sum((b - a).total_seconds() for a, b in schedule.intervals(start, end))
    assert abs(schedule.working_seconds_between(start, end) - walked) < 1e-6


@settings(max_examples=100, deadline=None)
@given(
    pattern_schedules,
    st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(0, 300 * 86400),
)
def test_adding_months_of_working_time_lands_where_measuring_says(
    schedule: Schedule, start: datetime, seconds: int
) -> None:
    """The whole weeks skipped when adding a long stretch of work are counted exactly."""
    end = start + timedelta(seconds=seconds)
    worked = schedule.working_seconds_between(start, end)
    reached = schedule.add_working_seconds(start, worked)
    assert reached is not None and reached <= end
    assert abs(schedule.working_seconds_between(start, reached) - worked) < 1e-6


@settings(max_examples=100, deadline=None)
@given(
    pattern_schedules,
    instants,
    st.integers(0, 40 * 86400),
    st.lists(st.integers(0, 8 * 3600), min_size=2, max_size=12),
)
def test_asked_again_later_the_answer_is_still_the_walked_one(
    schedule: Schedule, start: datetime, offset: int, steps: list[int]
) -> None:
    """The dashboard asks about the same start (a last check-in) minute after minute,
    across midnights; what the schedule kept from earlier askings never shows."""
    end = start + timedelta(seconds=offset)
    for step in steps:
        end += timedelta(seconds=step)
        walked = sum((b - a).total_seconds() for a, b in schedule.intervals(start, end))
        assert abs(schedule.working_seconds_between(start, end) - walked) < 1e-6
