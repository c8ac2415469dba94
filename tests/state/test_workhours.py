"""Working hours in the worker's own timezone: parsing, DST days, the date line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from farwatch.state.workhours import Schedule, ScheduleError, describe_days, parse_days

HOUR = 3600.0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("09:00-17:00", "09:00-17:00"),
        ("9-17", "09:00-17:00"),
        ("9am - 5:30pm", "09:00-17:30"),
        ("0900–1700", "09:00-17:00"),
        ("22:00-06:00", "22:00-06:00"),
        ("13:00-18:00, 09:00-12:00", "09:00-12:00,13:00-18:00"),
        ("00:00-24:00", "00:00-24:00"),
        ("24h", "00:00-24:00"),
        ("22:00-16:00+1", "22:00-16:00+1"),
        ("06:00-23:00", "06:00-23:00"),
    ],
)
def test_hours_in_the_forms_owners_write_them(hours: str, expected: str) -> None:
    schedule = Schedule.parse("UTC", hours, "Mon-Fri")
    assert schedule.describe() == f"{expected} Mon-Fri (UTC)"


@pytest.mark.parametrize(
    ("days", "weekdays"),
    [
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("mon,wed,FRI", {0, 2, 4}),
        ("Sun-Thu", {6, 0, 1, 2, 3}),
        ("daily", set(range(7))),
        ("Mon-Sun", set(range(7))),
        ("Tues, Thurs", {1, 3}),
        ("Monday - Friday", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
    ],
)
def test_days_in_the_forms_owners_write_them(days: str, weekdays: set[int]) -> None:
    assert parse_days(days) == frozenset(weekdays)


def test_days_are_described_compactly() -> None:
    assert describe_days(parse_days("Sun-Thu")) == "Sun-Thu"
    assert describe_days(parse_days("Fri,Mon,Wed")) == "Mon,Wed,Fri"
    assert describe_days(parse_days("Mon-Sun")) == "daily"


@pytest.mark.parametrize(
    ("timezone", "hours", "days", "message"),
    [
        ("Mars/Olympus", "09:00-17:00", "Mon-Fri", "unknown timezone 'Mars/Olympus'"),
        ("America", "09:00-17:00", "Mon-Fri", "unknown timezone 'America'"),
        ("", "09:00-17:00", "Mon-Fri", "timezone is empty"),
        ("UTC", "25:00-26:00", "Mon-Fri", "'25:00' is not a time of day"),
        ("UTC", "09:00-09:00", "Mon-Fri", "start and end at the same time"),
        ("UTC", "nine to five", "Mon-Fri", "cannot read the time 'nine'"),
        ("UTC", "09:00", "Mon-Fri", "expected START-END"),
        ("UTC", "09:00-17:00", "Funday", "unknown day 'Funday'"),
        ("UTC", "09:00-17:00", "T", "unknown day 'T'"),
        ("UTC", "09:00-17:00", "", "working days are empty"),
        ("UTC", "9-5", "Mon-Fri", r"'9-5' read as a 20 h shift; did you mean 09:00-17:00\?"),
        ("UTC", "8-6", "Mon-Fri", r"did you mean 08:00-18:00\?"),
        ("UTC", "09:00-05:00", "Mon-Fri", r"write 09:00-05:00\+1 if it ends the next day"),
        ("UTC", "6-23", "Mon-Fri", "17 h shift; write 06:00-23:00 if that is meant"),
    ],
)
def test_bad_schedules_say_what_is_wrong(
    timezone: str, hours: str, days: str, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.parse(timezone, hours, days)


def test_timezone_names_are_forgiving_about_case_and_offsets() -> None:
    assert Schedule.parse("asia/manila", "9-17", "daily").tz_name == "Asia/Manila"
    plus_530 = Schedule.parse("UTC+05:30", "9-17", "daily")
    assert plus_530.is_working(utc(2025, 6, 11, 3, 30))  # 09:00 in +05:30
    assert not plus_530.is_working(utc(2025, 6, 11, 3, 29))


# -- DST -----------------------------------------------------------------------


def test_new_york_nine_to_five_moves_in_utc_over_spring_forward() -> None:
    # 2025-03-09 (Sunday) New York springs forward at 02:00 EST -> 03:00 EDT.
    ny = Schedule.parse("America/New_York", "09:00-17:00", "daily")
    assert ny.is_working(utc(2025, 3, 8, 14, 30))  # Sat 09:30 EST
    assert not ny.is_working(utc(2025, 3, 8, 13, 30))  # Sat 08:30 EST
    assert ny.is_working(utc(2025, 3, 9, 13, 30))  # Sun 09:30 EDT
    assert not ny.is_working(utc(2025, 3, 9, 21, 30))  # Sun 17:30 EDT
    # Each shift is 8 real hours; the weekend has 16.
    assert ny.working_seconds_between(utc(2025, 3, 8), utc(2025, 3, 10)) == 16 * HOUR
    assert ny.working_seconds_between(utc(2025, 3, 9, 12), utc(2025, 3, 9, 14)) == 1 * HOUR


def test_a_shift_spanning_the_clock_change_counts_real_elapsed_time() -> None:
    # Kyiv springs forward 2025-03-30 03:00 -> 04:00: an 00:00-08:00 shift lasts 7 h.
    kyiv = Schedule.parse("Europe/Kyiv", "00:00-08:00", "Sun")
    assert kyiv.working_seconds_between(utc(2025, 3, 29), utc(2025, 3, 31)) == 7 * HOUR
    # London falls back 2025-10-26 02:00 -> 01:00: a 00:00-08:00 shift lasts 9 h.
    london = Schedule.parse("Europe/London", "00:00-08:00", "Sun")
    assert london.working_seconds_between(utc(2025, 10, 25), utc(2025, 10, 27)) == 9 * HOUR


def test_night_shift_over_the_new_york_clock_changes() -> None:
    night = Schedule.parse("America/New_York", "22:00-06:00", "Sat")
    # Sat 22:00 EST (03:00Z) -> Sun 06:00 EDT (10:00Z): 7 real hours.
    spring = list(night.intervals(utc(2025, 3, 8), utc(2025, 3, 11)))
    assert spring == [(utc(2025, 3, 9, 3), utc(2025, 3, 9, 10))]
    # Sat 22:00 EDT (02:00Z) -> Sun 06:00 EST (11:00Z): 9 real hours.
    fall = night.working_seconds_between(utc(2025, 11, 1), utc(2025, 11, 4))
    assert fall == 9 * HOUR


def test_a_window_starting_in_the_skipped_hour_starts_when_the_clock_resumes() -> None:
    # 02:30 does not exist in New York on 2025-03-09; the window starts at 03:00 EDT.
    ny = Schedule.parse("America/New_York", "02:30-10:00", "Sun")
    assert ny.working_seconds_between(utc(2025, 3, 9), utc(2025, 3, 10)) == 7 * HOUR


def test_ninety_days_of_weekday_shifts_add_up() -> None:
    london = Schedule.parse("Europe/London", "09:00-17:00", "Mon-Fri")
    start, end = utc(2025, 1, 6), utc(2025, 4, 6)  # Monday to Sunday, 90 days, BST from 30 March
    weekdays = sum(
        1 for n in range((end - start).days) if (start + timedelta(days=n)).weekday() < 5
    )
    assert weekdays == 65
    assert london.working_seconds_between(start, end) == weekdays * 8 * HOUR


# -- night shifts and several windows -----------------------------------------------


def test_night_shift_belongs_to_the_day_it_starts() -> None:
    # Mon-Fri 22:00-06:00 in Dhaka (+06): Friday night runs into Saturday morning,
    # Sunday night is off.
    dhaka = Schedule.parse("Asia/Dhaka", "22:00-06:00", "Mon-Fri")
    saturday_3am = utc(2025, 6, 13, 21)  # Sat 03:00 +06
    sunday_23 = utc(2025, 6, 15, 17)  # Sun 23:00 +06
    monday_3am = utc(2025, 6, 15, 21)  # Mon 03:00 +06 (Sunday's night, not worked)
    monday_23 = utc(2025, 6, 16, 17)
    assert dhaka.is_working(saturday_3am)
    assert not dhaka.is_working(sunday_23)
    assert not dhaka.is_working(monday_3am)
    assert dhaka.is_working(monday_23)


def test_split_shift_skips_the_lunch_break() -> None:
    split = Schedule.parse("Europe/Kyiv", "09:00-12:00,13:00-18:00", "Mon-Fri")
    # Wednesday 2025-06-11 in Kyiv (+03): 08:00 to 20:00 local.
    assert split.working_seconds_between(utc(2025, 6, 11, 5), utc(2025, 6, 11, 17)) == 8 * HOUR
    assert not split.is_working(utc(2025, 6, 11, 9, 30))  # 12:30 local


def test_touching_windows_count_once_and_are_one_stretch() -> None:
    s = Schedule.parse("UTC", "22:00-06:00,06:00-08:00,07:00-09:00", "daily")
    day = utc(2025, 6, 11)
    # Per day: 22-24 plus 00-09 = 11 h, no hour counted twice.
    assert s.working_seconds_between(day, day + timedelta(days=1)) == 11 * HOUR
    # 06:00 continues the night stretch; the next real start is 22:00.
    assert s.next_start(utc(2025, 6, 11, 5)) == utc(2025, 6, 11, 22)


# -- next start and adding working time -------------------------------------------------


def test_next_start_after_friday_evening_is_monday_morning_local() -> None:
    manila = Schedule.parse("Asia/Manila", "09:00-17:00", "Mon-Fri")
    friday_evening = utc(2025, 6, 13, 12)  # Fri 20:00 +08
    assert manila.next_start(friday_evening) == utc(2025, 6, 16, 1)  # Mon 09:00 +08
    assert manila.next_start(utc(2025, 6, 16, 1)) == utc(2025, 6, 16, 1)
    assert Schedule.parse("UTC", "24h", "daily").next_start(friday_evening) is None


def test_adding_working_time_skips_nights_and_weekends() -> None:
    utc_office = Schedule.parse("UTC", "09:00-17:00", "Mon-Fri")
    thursday_15 = utc(2025, 6, 12, 15)
    # 2 h Thursday, 8 h Friday, then 2 h on Monday.
    assert utc_office.add_working_seconds(thursday_15, 12 * HOUR) == utc(2025, 6, 16, 11)
    assert utc_office.add_working_seconds(utc(2025, 6, 14), 1 * HOUR) == utc(2025, 6, 16, 10)


# -- periods on the worker's calendar ---------------------------------------------------


def test_week_starts_on_monday_in_the_workers_own_timezone() -> None:
    sunday_noon_utc = utc(2025, 6, 8, 12)
    # Kiritimati (+14) is already on Monday 02:00: its week began Sunday 10:00 UTC.
    kiritimati = Schedule.parse("Pacific/Kiritimati", "09:00-17:00", "Mon-Fri")
    assert kiritimati.period_start("week", sunday_noon_utc) == utc(2025, 6, 8, 10)
    # Pago Pago (-11) is on Sunday 01:00: its week began Monday 2 June, 11:00 UTC.
    pago = Schedule.parse("Pacific/Pago_Pago", "09:00-17:00", "Mon-Fri")
    assert pago.period_start("week", sunday_noon_utc) == utc(2025, 6, 2, 11)
    # A UTC worker's week began Monday 2 June 00:00.
    assert Schedule.parse("UTC", "9-17", "Mon-Fri").period_start("week", sunday_noon_utc) == utc(
        2025, 6, 2
    )
    assert kiritimati.period_end("week", sunday_noon_utc) == utc(2025, 6, 15, 10)


def test_kiritimati_monday_morning_is_sunday_evening_utc() -> None:
    kiritimati = Schedule.parse("Pacific/Kiritimati", "09:00-17:00", "Mon-Fri")
    assert kiritimati.is_working(utc(2025, 6, 8, 19, 30))  # Sun 19:30Z = Mon 09:30 +14
    assert not kiritimati.is_working(utc(2025, 6, 13, 19, 30))  # Sat 09:30 +14
    pago = Schedule.parse("Pacific/Pago_Pago", "09:00-17:00", "Mon-Fri")
    assert pago.is_working(utc(2025, 6, 14, 2))  # Sat 02:00Z = Fri 15:00 -11


def test_day_and_month_periods_in_auckland() -> None:
    auckland = Schedule.parse("Pacific/Auckland", "09:00-17:00", "Mon-Fri")
    # 2025-06-30 13:00Z is 1 July 01:00 NZST (+12).
    at = utc(2025, 6, 30, 13)
    assert auckland.period_start("day", at) == utc(2025, 6, 30, 12)
    assert auckland.period_start("month", at) == utc(2025, 6, 30, 12)
    assert auckland.period_end("day", at) == utc(2025, 7, 1, 12)
    assert auckland.period_end("month", at) == utc(2025, 7, 31, 12)
    # December rolls into January; NZ is on daylight time (+13) then.
    assert auckland.period_end("month", utc(2025, 12, 15)) == utc(2025, 12, 31, 11)
    assert auckland.period_start("task", at) is None
    with pytest.raises(ValueError, match="unknown cap period 'fortnight'"):
        auckland.period_start("fortnight", at)


def test_local_midnight_day_period_over_dst_is_23_hours() -> None:
    london = Schedule.parse("Europe/London", "09:00-17:00", "daily")
    at = utc(2025, 3, 30, 12)
    start, end = london.period_start("day", at), london.period_end("day", at)
    assert start is not None and end is not None
    assert (start, end) == (utc(2025, 3, 30), utc(2025, 3, 30, 23))
    assert london.local(at).date() == date(2025, 3, 30)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Schedule.parse("UTC", "9-17", "daily").is_working(datetime(2025, 6, 11, 10))


def test_adding_working_time_stops_at_a_limit() -> None:
    office = Schedule.parse("UTC", "09:00-17:00", "Mon-Fri")
    friday_17 = utc(2025, 6, 13, 17)
    assert office.add_working_seconds(utc(2025, 6, 13, 9), 8 * HOUR, until=friday_17) == friday_17
    assert office.add_working_seconds(utc(2025, 6, 13, 9), 9 * HOUR, until=friday_17) is None
