"""Worker statuses as an owner reads them: check-in ages in working time, burn, pace.

Dates: 2025-06-09 is a Monday, 2025-06-11 a Wednesday.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from farwatch.sources.model import CheckIn, RosterRow, TimeEntry
from farwatch.state.data_warnings import data_warnings
from farwatch.state.derive import (
    derive_statuses,
    schedule_for,
    worker_history,
)
from farwatch.state.settings import CacheSettings, Settings, Thresholds, WorkerDefaults
from farwatch.state.snapshot import CacheSnapshot, PauseState
from farwatch.state.status import WorkerStatus

HOUR = 3600.0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def settings(defaults: WorkerDefaults | None = None) -> Settings:
    return Settings(
        path=None,
        cache=CacheSettings(path=Path("unused-cache.json")),
        thresholds=Thresholds(checkin_warn=2 * HOUR, checkin_alert=4 * HOUR, burn_warn=0.8),
        defaults=defaults or WorkerDefaults(),
    )


def worker(worker_id: str, **fields: Any) -> RosterRow:
    """A UTC 09:00-17:00 Mon-Fri worker at <id>@example.com, with ``fields`` changed."""
    row = RosterRow(
        worker_id=worker_id,
        name=worker_id.title(),
        email=f"{worker_id}@example.com",
        timezone="UTC",
        hours="09:00-17:00",
        days="Mon-Fri",
    )
    return replace(row, **fields)


_keys = iter(range(10**9))


def checkin(
    who: str, at: datetime, subject: str = "update", task: str = "", key: str = ""
) -> CheckIn:
    return CheckIn(key=key or f"<{next(_keys)}@mail>", who=who, at=at, subject=subject, task=task)


def entry(who: str, start: datetime, end: datetime | None, task: str = "") -> TimeEntry:
    return TimeEntry(key=f"e{next(_keys)}", who=who, start=start, end=end, task=task)


def snapshot(
    roster: Iterable[RosterRow],
    checkins: Iterable[CheckIn] = (),
    entries: Iterable[TimeEntry] = (),
    paused: Iterable[str] = (),
) -> CacheSnapshot:
    return CacheSnapshot(
        roster={"sheet": list(roster)},
        checkins={"mail": list(checkins)},
        entries={"timesheet": list(entries)},
        paused={w: PauseState(worker_id=w, since=utc(2025, 6, 1)) for w in paused},
    )


def derive_one(
    snap: CacheSnapshot, now: datetime, defaults: WorkerDefaults | None = None
) -> WorkerStatus:
    rows = derive_statuses(snap, settings(defaults), now)
    assert len(rows) == 1
    return rows[0]


MARIA = worker("maria", name="Maria Santos", timezone="Asia/Manila", email="maria@example.ph")


# -- check-in age in working time ------------------------------------------------------


def test_half_an_hour_yesterday_plus_an_hour_today_is_one_and_a_half_hours() -> None:
    # Checked in Tue 16:30 Manila (08:30Z); now Wed 10:00 Manila (02:00Z).
    snap = snapshot([MARIA], [checkin("maria@example.ph", utc(2025, 6, 10, 8, 30))])
    status = derive_one(snap, utc(2025, 6, 11, 2))
    assert status.checkin_work_age == 1.5 * HOUR
    assert status.checkin_age == 17.5 * HOUR
    assert status.checkin_level == "ok"
    assert status.working_now
    assert status.last_checkin == utc(2025, 6, 10, 8, 30)
    assert status.local_time.hour == 10 and status.timezone == "Asia/Manila"


def test_the_weekend_does_not_count_against_a_friday_check_in() -> None:
    # Fri 16:30 Manila -> Mon 10:00 Manila: 1.5 working hours over 65.5 real ones.
    snap = snapshot([MARIA], [checkin("maria@example.ph", utc(2025, 6, 6, 8, 30))])
    status = derive_one(snap, utc(2025, 6, 9, 2))
    assert status.checkin_work_age == 1.5 * HOUR
    assert status.checkin_age == 65.5 * HOUR


def test_a_check_in_sent_after_hours_counts_from_the_next_shift() -> None:
    # Tue 21:00 Manila, now Wed 10:00 Manila: one working hour.
    snap = snapshot([MARIA], [checkin("maria@example.ph", utc(2025, 6, 10, 13))])
    assert derive_one(snap, utc(2025, 6, 11, 2)).checkin_work_age == 1 * HOUR


@pytest.mark.parametrize(
    ("now_local_hour", "level"),
    [(10.5, "ok"), (11, "warn"), (12.5, "warn"), (13.5, "alert"), (20, "off_hours")],
)
def test_check_in_levels_through_a_manila_day(now_local_hour: float, level: str) -> None:
    snap = snapshot([MARIA], [checkin("maria@example.ph", utc(2025, 6, 11, 1))])  # Wed 09:00
    now = utc(2025, 6, 11, 1) + timedelta(hours=now_local_hour - 9)
    status = derive_one(snap, now)
    assert status.checkin_level == level
    assert status.working_now == (level != "off_hours")
    assert status.checkin_work_age == min(now_local_hour - 9, 8) * HOUR


def test_never_checked_in() -> None:
    status = derive_one(snapshot([MARIA]), utc(2025, 6, 11, 2))
    assert status.checkin_level == "never"
    assert status.last_checkin is None
    assert status.checkin_age is None and status.checkin_work_age is None
    assert status.checkins_total == 0 and status.last_checkin_subject == ""


def test_a_paused_worker_keeps_the_level_but_is_not_stale() -> None:
    rows = [worker("ana"), worker("ben")]
    snap = snapshot(
        rows,
        [
            checkin("ana@example.com", utc(2025, 6, 11, 9)),
            checkin("ben@example.com", utc(2025, 6, 11, 9)),
        ],
        paused=["ben"],
    )
    ana, ben = derive_statuses(snap, settings(), utc(2025, 6, 11, 14))
    assert (ana.checkin_level, ana.paused, ana.stale) == ("alert", False, True)
    assert (ben.checkin_level, ben.paused, ben.stale) == ("alert", True, False)


def test_spring_forward_sunday_in_new_york_counts_real_hours() -> None:
    # Daily 09:00-17:00 New York. Checked in Sat 16:00 EST (21:00Z); now Sun 10:00 EDT
    # (14:00Z), after the clocks jumped: 1 h Saturday + 1 h Sunday; 17 real hours passed.
    row = worker("nick", timezone="America/New_York", days="daily")
    snap = snapshot([row], [checkin("nick@example.com", utc(2025, 3, 8, 21))])
    status = derive_one(snap, utc(2025, 3, 9, 14))
    assert status.checkin_work_age == 2 * HOUR
    assert status.checkin_age == 17 * HOUR
    assert status.checkin_level == "warn"
    assert status.local_time.utcoffset() == timedelta(hours=-4)


def test_night_shift_crossing_midnight() -> None:
    # Dhaka (+06) Mon-Fri 22:00-06:00: Friday's shift runs into Saturday morning.
    row = worker("rahim", timezone="Asia/Dhaka", hours="22:00-06:00")
    snap = snapshot([row], [checkin("rahim@example.com", utc(2025, 6, 13, 17))])  # Fri 23:00
    at_3am_saturday = derive_one(snap, utc(2025, 6, 13, 21))
    assert at_3am_saturday.working_now
    assert at_3am_saturday.checkin_work_age == 4 * HOUR
    assert at_3am_saturday.checkin_level == "alert"
    at_11pm_saturday = derive_one(snap, utc(2025, 6, 14, 17))
    assert at_11pm_saturday.checkin_level == "off_hours"
    assert at_11pm_saturday.checkin_work_age == 7 * HOUR


# -- hours against the cap ----------------------------------------------------------------


WED_NOON = utc(2025, 6, 11, 12)
UTC_WEEK = [
    entry("ana@example.com", utc(2025, 6, 6, 9), utc(2025, 6, 6, 17)),  # last Friday
    entry("ana@example.com", utc(2025, 6, 8, 22), utc(2025, 6, 9, 2)),  # 2 h after Monday 00:00
    entry("ana@example.com", utc(2025, 6, 9, 9), utc(2025, 6, 9, 13)),
    entry("ana@example.com", utc(2025, 6, 10, 9), utc(2025, 6, 10, 12)),
]


@pytest.mark.parametrize(
    ("cap", "burn", "level"),
    [(20.0, 0.45, "ok"), (10.0, 0.9, "warn"), (9.0, 1.0, "over"), (6.0, 1.5, "over")],
)
def test_week_burn_levels(cap: float, burn: float, level: str) -> None:
    snap = snapshot([worker("ana", cap_hours=cap, cap_period="week")], entries=UTC_WEEK)
    status = derive_one(snap, WED_NOON)
    assert status.hours_used == 9.0
    assert status.period_start == utc(2025, 6, 9)
    assert status.cap_hours == cap
    assert status.burn == pytest.approx(burn)
    assert status.burn_level == level
    assert status.over_cap == (level == "over")
    if level == "over":
        assert status.cap_eta is None


def test_one_hour_in_a_tracker_a_time_log_and_a_double_export_is_one_hour() -> None:
    hour = (utc(2025, 6, 11, 9), utc(2025, 6, 11, 10))
    half_over = (utc(2025, 6, 11, 9, 30), utc(2025, 6, 11, 10, 30))
    snap = CacheSnapshot(
        roster={"sheet": [worker("ana", cap_hours=1.25, cap_period="day")]},
        entries={
            "toggl": [entry("ana@example.com", *hour)],
            "timesheet": [entry("ana@example.com", *hour), entry("ana@example.com", *hour)],
            "harvest": [entry("ana@example.com", *half_over)],
        },
    )
    status = derive_one(snap, WED_NOON)
    assert status.hours_used == 1.5
    assert status.burn == pytest.approx(1.2) and status.burn_level == "over"
    assert sum(status.activity) == pytest.approx(1.5)


def test_two_running_timers_at_once_count_real_time_once_towards_the_eta() -> None:
    start = utc(2025, 6, 11, 11)
    snap = CacheSnapshot(
        roster={"sheet": [worker("ana", cap_hours=3.0, cap_period="day")]},
        entries={
            "toggl": [entry("ana@example.com", start, None)],
            "timesheet": [entry("ana@example.com", start, None)],
        },
    )
    status = derive_one(snap, WED_NOON)
    assert status.hours_used == 1.0
    assert status.cap_eta == WED_NOON + timedelta(hours=2)


@pytest.mark.parametrize("cap", [None, 0.0, -5.0])
def test_no_cap_still_shows_hours(cap: float | None) -> None:
    snap = snapshot([worker("ana", cap_hours=cap)], entries=UTC_WEEK)
    status = derive_one(snap, WED_NOON)
    assert status.hours_used == 9.0
    assert (status.cap_hours, status.burn, status.burn_level) == (None, None, "no_cap")
    assert status.cap_eta is None


def test_week_starts_on_the_workers_monday_across_the_date_line() -> None:
    # Sunday 8 June 11:00-13:00Z is already Monday 01:00-03:00 in Kiritimati (+14)
    # but still Sunday for a UTC worker; Monday 9 June 05:00-07:00Z is still Sunday
    # evening in Pago Pago (-11).
    roster = [
        worker("tia", timezone="Pacific/Kiritimati", cap_hours=40.0, email="tia@example.ki"),
        worker("sione", timezone="Pacific/Pago_Pago", cap_hours=40.0, email="sione@example.as"),
        worker("ana", cap_hours=40.0),
    ]
    entries = [
        entry("tia@example.ki", utc(2025, 6, 8, 8), utc(2025, 6, 8, 10)),  # Sun 22-24 +14
        entry("tia@example.ki", utc(2025, 6, 8, 11), utc(2025, 6, 8, 13)),  # Mon 01-03 +14
        entry("sione@example.as", utc(2025, 6, 9, 5), utc(2025, 6, 9, 7)),  # Sun 18-20 -11
        entry("sione@example.as", utc(2025, 6, 9, 12), utc(2025, 6, 9, 14)),  # Mon 01-03 -11
        entry("ana@example.com", utc(2025, 6, 8, 11), utc(2025, 6, 8, 13)),  # Sun UTC
    ]
    tia, sione, ana = derive_statuses(
        snapshot(roster, entries=entries), settings(), utc(2025, 6, 10, 12)
    )
    assert (tia.hours_used, tia.period_start) == (2.0, utc(2025, 6, 8, 10))
    assert (sione.hours_used, sione.period_start) == (2.0, utc(2025, 6, 9, 11))
    assert (ana.hours_used, ana.period_start) == (0.0, utc(2025, 6, 9))


def test_day_cap_follows_the_auckland_calendar() -> None:
    # Now Tue 23:00 NZST (11:00Z). Tue 11:00-13:00 NZST counts; Mon 22:00-24:00 does not.
    row = worker("aroha", timezone="Pacific/Auckland", cap_hours=4.0, cap_period="day")
    entries = [
        entry("aroha@example.com", utc(2025, 6, 9, 10), utc(2025, 6, 9, 12)),
        entry("aroha@example.com", utc(2025, 6, 9, 23), utc(2025, 6, 10, 1)),
    ]
    status = derive_one(snapshot([row], entries=entries), utc(2025, 6, 10, 11))
    assert status.period_start == utc(2025, 6, 9, 12)
    assert (status.hours_used, status.burn, status.burn_level) == (2.0, 0.5, "ok")


def test_month_period_clips_an_entry_over_the_first() -> None:
    row = worker("ana", cap_hours=100.0, cap_period="month")
    entries = [
        entry("ana@example.com", utc(2025, 5, 20, 9), utc(2025, 5, 20, 17)),
        entry("ana@example.com", utc(2025, 5, 31, 23), utc(2025, 6, 1, 1)),
        entry("ana@example.com", utc(2025, 6, 5, 9), utc(2025, 6, 5, 17)),
    ]
    status = derive_one(snapshot([row], entries=entries), WED_NOON)
    assert status.period_start == utc(2025, 6, 1)
    assert status.hours_used == 9.0
    assert status.burn == pytest.approx(0.09)


def test_task_period_counts_only_the_roster_task_over_all_history() -> None:
    entries = [
        entry("ana@example.com", utc(2025, 5, 1, 9), utc(2025, 5, 1, 12), task="invoices"),
        entry("ana@example.com", utc(2025, 6, 5, 9), utc(2025, 6, 5, 13), task=" INVOICES "),
        entry("ana@example.com", utc(2025, 6, 10, 9), utc(2025, 6, 10, 14), task="Payroll"),
    ]
    on_task = derive_one(
        snapshot(
            [worker("ana", task="Invoices", cap_hours=10.0, cap_period="task")], entries=entries
        ),
        WED_NOON,
    )
    assert (on_task.cap_period, on_task.period_start) == ("task", None)
    assert on_task.hours_used == 7.0
    assert on_task.burn_level == "ok" and on_task.burn == pytest.approx(0.7)
    no_task = derive_one(
        snapshot([worker("ana", cap_hours=10.0, cap_period="task")], entries=entries), WED_NOON
    )
    assert no_task.hours_used == 12.0 and no_task.burn_level == "over"


def test_hours_from_two_trackers_are_summed() -> None:
    snap = snapshot([worker("ana", cap_hours=10.0, tracker_id="u-42")])
    snap.entries = {
        "toggl": [entry("u-42", utc(2025, 6, 9, 9), utc(2025, 6, 9, 12))],
        "clockify": [entry("Ana <ANA@example.com>", utc(2025, 6, 10, 9), utc(2025, 6, 10, 11))],
    }
    assert derive_one(snap, WED_NOON).hours_used == 5.0


# -- forecast -------------------------------------------------------------------------------


def test_cap_eta_with_a_timer_running_is_now_plus_what_is_left() -> None:
    entries = [
        entry("ana@example.com", utc(2025, 6, 9, 9), utc(2025, 6, 9, 16)),
        entry("ana@example.com", utc(2025, 6, 11, 11), None, task="Payroll"),
    ]
    status = derive_one(snapshot([worker("ana", cap_hours=10.0)], entries=entries), WED_NOON)
    assert status.running
    assert status.hours_used == 8.0
    assert status.cap_eta == utc(2025, 6, 11, 14)


def test_cap_eta_when_idle_projects_the_pace_over_working_hours() -> None:
    # 9.5 h tracked in 19 working hours (Mon 8, Tue 8, Wed 3): half pace. 10.5 h left
    # on a 20 h cap need 21 working hours: Wed 12-17, Thu, Fri -> Friday 17:00.
    entries = [
        entry("ana@example.com", utc(2025, 6, 9, 9), utc(2025, 6, 9, 14)),
        entry("ana@example.com", utc(2025, 6, 10, 9), utc(2025, 6, 10, 13, 30)),
    ]
    status = derive_one(snapshot([worker("ana", cap_hours=20.0)], entries=entries), WED_NOON)
    assert not status.running
    assert status.cap_eta == utc(2025, 6, 13, 17)
    # At that pace a 30 h cap is not reached before the week resets.
    slower = derive_one(snapshot([worker("ana", cap_hours=30.0)], entries=entries), WED_NOON)
    assert slower.cap_eta is None


def test_cap_eta_is_none_with_nothing_tracked() -> None:
    status = derive_one(snapshot([worker("ana", cap_hours=20.0)]), WED_NOON)
    assert (status.hours_used, status.burn, status.cap_eta) == (0.0, 0.0, None)


# -- current task -------------------------------------------------------------------------


def test_running_timer_task_beats_check_in_and_roster() -> None:
    row = worker("ana", task="Admin")
    mail = [
        checkin("ana@example.com", utc(2025, 6, 11, 9), subject="morning", task="Inbox zero"),
        checkin("ana@example.com", utc(2025, 6, 11, 8), subject="older", task="Old thing"),
    ]
    timer = [entry("ana@example.com", utc(2025, 6, 11, 10), None, task="Payroll run")]
    with_timer = derive_one(snapshot([row], mail, timer), WED_NOON)
    assert (with_timer.task, with_timer.task_source) == ("Payroll run", "timer")
    from_checkin = derive_one(snapshot([row], mail), WED_NOON)
    assert (from_checkin.task, from_checkin.task_source) == ("Inbox zero", "checkin")
    assert from_checkin.last_checkin_subject == "morning"
    assert from_checkin.checkins_total == 2
    subject_only = derive_one(
        snapshot([row], [checkin("ana@example.com", utc(2025, 6, 11, 9), subject="Re: Q2 report")]),
        WED_NOON,
    )
    assert (subject_only.task, subject_only.task_source) == ("Re: Q2 report", "checkin")
    assert derive_one(snapshot([row]), WED_NOON).task_source == "roster"
    nothing = derive_one(snapshot([worker("ana")]), WED_NOON)
    assert (nothing.task, nothing.task_source) == ("", "none")


# -- matching, bad rows, defaults ------------------------------------------------------------


def test_unmatched_records_are_counted_per_source() -> None:
    snap = snapshot(
        [MARIA],
        [
            checkin("Maria Santos <MARIA@example.ph>", utc(2025, 6, 10, 1)),
            checkin("maria@example.ph", utc(2025, 6, 10, 2)),
            checkin("newsletter@shop.example", utc(2025, 6, 10, 3)),
        ],
        [
            entry("u-999", utc(2025, 6, 10, 1), utc(2025, 6, 10, 2)),
            entry("stranger@example.com", utc(2025, 6, 10, 1), None),
        ],
    )
    found = data_warnings(snap, utc(2025, 6, 11, 2))
    assert {name: f.unmatched for name, f in found.items()} == {
        "sheet": 0,
        "mail": 1,
        "timesheet": 2,
    }
    assert found["timesheet"].unmatched_who == ["u-999", "stranger@example.com"]
    status = derive_one(snap, utc(2025, 6, 11, 2))
    assert status.checkins_total == 2
    assert not status.running  # a stranger's running timer is nobody's


def test_the_same_message_through_two_sources_counts_once() -> None:
    snap = snapshot([MARIA])
    same = checkin("maria@example.ph", utc(2025, 6, 10, 1), key="<abc@example.ph>")
    snap.checkins = {"imap": [same], "maildir": [same]}
    assert derive_one(snap, utc(2025, 6, 11, 2)).checkins_total == 1


def test_a_bad_timezone_on_one_row_does_not_break_the_others() -> None:
    roster = [
        worker("zed", timezone="Mars/Olympus"),
        worker("yan", hours="nine till five"),
        MARIA,
    ]
    defaults = WorkerDefaults(timezone="Europe/Kyiv", hours="08:00-16:00", days="Mon-Fri")
    snap = snapshot(roster, [checkin("maria@example.ph", utc(2025, 6, 10, 8, 30))])
    zed, yan, maria = derive_statuses(snap, settings(defaults), utc(2025, 6, 11, 2))
    assert zed.timezone == "Europe/Kyiv"
    assert zed.local_time.utcoffset() == timedelta(hours=3)
    assert len(zed.problems) == 1 and "Mars/Olympus" in zed.problems[0]
    assert "using 'Europe/Kyiv'" in zed.problems[0]
    assert yan.timezone == "UTC" and "using '08:00-16:00'" in yan.problems[0]
    assert maria.problems == () and maria.checkin_work_age == 1.5 * HOUR


def test_an_edited_timezone_or_hours_counts_at_the_next_derive() -> None:
    # Checked in Fri 2025-05-16 17:00Z; now Wed 2025-06-11 12:00Z, over three weeks on.
    # UTC 09:00-17:00 Mon-Fri: three whole weeks (120 h) + Mon, Tue (16 h) + Wed 09-12.
    # Edited to Manila 09:00-13:00: 18 weekdays of 4 h; 20:00 there, so off hours.
    now = utc(2025, 6, 11, 12)
    mail = [checkin("ana@example.com", utc(2025, 5, 16, 17))]
    before = worker("ana")
    edited = replace(before, timezone="Asia/Manila", hours="09:00-13:00")
    unchanged = worker("ben")  # keeps the first schedule throughout
    both = [checkin("ben@example.com", utc(2025, 5, 16, 17)), *mail]
    first = derive_statuses(snapshot([before, unchanged], both), settings(), now)
    assert [s.checkin_work_age for s in first] == [139 * HOUR, 139 * HOUR]
    ana, ben = derive_statuses(snapshot([edited, unchanged], both), settings(), now)
    assert ana.timezone == "Asia/Manila" and ana.checkin_work_age == 72 * HOUR
    assert not ana.working_now and ana.checkin_level == "off_hours"
    assert ben.checkin_work_age == 139 * HOUR and ben.working_now
    assert derive_one(snapshot([before], mail), now).checkin_work_age == 139 * HOUR


def test_empty_roster_columns_use_the_configured_defaults() -> None:
    row = worker("olena", timezone="", hours="", days="", cap_period="")
    defaults = WorkerDefaults(
        timezone="Europe/Kyiv", hours="10:00-18:00", days="Sun-Thu", cap_period="day"
    )
    # Sunday 15 June 10:30 Kyiv (07:30Z) is a working day for a Sun-Thu worker.
    status = derive_one(snapshot([row]), utc(2025, 6, 15, 7, 30), defaults=defaults)
    assert status.timezone == "Europe/Kyiv" and status.working_now
    assert status.cap_period == "day" and status.period_start == utc(2025, 6, 14, 21)
    assert status.problems == ()


def test_an_unknown_cap_period_falls_back_and_says_so() -> None:
    row = worker("ana", cap_hours=10.0, cap_period="fortnight")
    status = derive_one(snapshot([row], entries=UTC_WEEK), WED_NOON)
    assert status.cap_period == "week" and status.hours_used == 9.0
    assert any("'fortnight'" in p for p in status.problems)


# -- activity and history ------------------------------------------------------------------------


def test_activity_is_tracked_hours_per_clock_hour() -> None:
    entries = [
        entry("ana@example.com", utc(2025, 6, 11, 10), utc(2025, 6, 11, 11, 30)),
        entry("ana@example.com", utc(2025, 6, 11, 11, 45), None),
        entry("ana@example.com", utc(2025, 6, 9, 10), utc(2025, 6, 9, 11)),  # too old
    ]
    status = derive_one(snapshot([worker("ana")], entries=entries), utc(2025, 6, 11, 12, 15))
    assert len(status.activity) == 24
    assert status.activity[-3:] == (1.0, 0.75, 0.25)
    assert sum(status.activity) == 2.0


def test_worker_history_is_newest_first_and_only_theirs() -> None:
    snap = snapshot(
        [MARIA, worker("ana")],
        [
            checkin("maria@example.ph", utc(2025, 6, 9, 1), subject="first"),
            checkin("ana@example.com", utc(2025, 6, 9, 2), subject="not hers"),
            checkin("maria@example.ph", utc(2025, 6, 10, 1), subject="second"),
        ],
        [
            entry("maria@example.ph", utc(2025, 6, 9, 1), utc(2025, 6, 9, 2), task="a"),
            entry("maria@example.ph", utc(2025, 6, 10, 1), None, task="b"),
        ],
    )
    history = worker_history(snap, "maria")
    assert history.row == MARIA
    assert [c.subject for c in history.checkins] == ["second", "first"]
    assert [e.task for e in history.entries] == ["b", "a"]
    assert worker_history(snap, "nobody").checkins == []


def test_evaluating_as_of_an_earlier_instant_ignores_what_came_later() -> None:
    snap = snapshot(
        [worker("ana", cap_hours=10.0)],
        [
            checkin("ana@example.com", utc(2025, 6, 11, 9), subject="morning"),
            checkin("ana@example.com", utc(2025, 6, 11, 15), subject="afternoon"),
            checkin("ana@example.com", utc(2025, 6, 11, 12, 5), subject="clock a bit fast"),
        ],
        [
            entry("ana@example.com", utc(2025, 6, 11, 9), utc(2025, 6, 11, 11)),
            entry("ana@example.com", utc(2025, 6, 11, 14), None),
        ],
    )
    status = derive_one(snap, WED_NOON)
    assert status.last_checkin_subject == "clock a bit fast"
    assert status.checkin_age == 0.0 and status.checkin_work_age == 0.0
    assert status.checkins_total == 2
    assert status.hours_used == 2.0 and not status.running


def test_the_detail_screen_can_ask_for_a_workers_schedule() -> None:
    defaults = WorkerDefaults(timezone="Asia/Dhaka")
    schedule, problems = schedule_for(worker("rahim", timezone="", hours="22:00-06:00"), defaults)
    assert schedule.describe() == "22:00-06:00 Mon-Fri (Asia/Dhaka)"
    assert problems == ()
    # Friday 23:00 Dhaka: working; the next stretch starts Monday 22:00 Dhaka.
    assert schedule.is_working(utc(2025, 6, 13, 17))
    assert schedule.next_start(utc(2025, 6, 14, 1)) == utc(2025, 6, 16, 16)
