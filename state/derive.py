"""From cached observations to one ``WorkerStatus`` per worker.

Pure functions: the snapshot, the settings and ``now`` go in, rows come out;
nothing is read from disk or the clock, so a status "as of" any instant is
reproducible. Each call indexes every check-in and time entry by its matched
worker once, so the work grows with the number of records, not with
workers x records.

Choices worth knowing:

- Time is counted once: a worker's entries from every source are merged as a
  union of intervals (``intervals.worked_time``) before hours, burn, ``cap_eta``
  and the activity sparkline, so the same hour in a tracker and a time log (or
  exported twice) is one hour. ``data_warnings`` names each overlap.
- Check-ins with the same key (Message-ID) seen through two sources count once.
- An entry is clipped to the cap period. Its ``accrued_seconds`` (time an
  entry had before its current timer started) counts when the entry started
  inside the period, since when exactly it was worked is unknown.
- A date-only entry (Harvest without timestamps) counts on its day in the
  worker's own timezone: it is placed at that local midnight, or at the
  moment it was read if that came first, never later.
- Records later than ``now`` (beyond a small clock-skew tolerance) are left
  out, so evaluating "as of" an earlier instant gives what was true then.
- ``cap_eta`` is None when there is no cap, when the cap is already reached
  (the burn level says "over"), when nothing has been tracked yet, and when at
  the current pace the cap would not be reached before the period resets.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Literal

from farwatch.sources.model import CAP_PERIODS, CheckIn, RosterRow, TimeEntry
from farwatch.state.fetch_check import FUTURE_TOLERANCE
from farwatch.state.intervals import Span, WorkedTime
from farwatch.state.matching import WorkerIndex
from farwatch.state.settings import Settings, WorkerDefaults
from farwatch.state.snapshot import CacheSnapshot
from farwatch.state.status import BurnLevel, CheckinLevel, WorkerStatus
from farwatch.state.worked_memo import shared_memo
from farwatch.state.workhours import (
    Schedule,
    ScheduleError,
    parse_days,
    parse_hours,
    parse_timezone,
)

ACTIVITY_HOURS = 24
_HOUR = timedelta(hours=1)
_IDLE_DAY = (0.0,) * ACTIVITY_HOURS
_FALLBACK = WorkerDefaults()

TaskSource = Literal["timer", "checkin", "roster", "none"]


@dataclass(frozen=True, slots=True)
class WorkerHistory:
    """One worker's matched records, for the detail screen."""

    worker_id: str
    row: RosterRow | None
    checkins: list[CheckIn]
    """Newest first."""
    entries: list[TimeEntry]
    """Newest first, by start."""


_END = attrgetter("end")
_NEWEST = attrgetter("at", "key")
"""Orders check-ins by time, then key (C-level: it runs once per cached check-in)."""


# -- indexing ------------------------------------------------------------------


def _group_checkins(
    snapshot: CacheSnapshot, index: WorkerIndex, horizon: datetime
) -> dict[str, list[CheckIn]]:
    grouped: dict[str, dict[str, CheckIn]] = {}
    match = index.match
    for rows in snapshot.checkins.values():
        for checkin in rows:
            if checkin.at > horizon:
                continue
            worker_id = match(checkin.who)
            if worker_id is not None:
                by_key = grouped.get(worker_id)
                if by_key is None:
                    by_key = grouped[worker_id] = {}
                by_key[checkin.key or f"#{len(by_key)}"] = checkin
    return {worker_id: list(by_key.values()) for worker_id, by_key in grouped.items()}


def _latest_checkins(
    snapshot: CacheSnapshot, index: WorkerIndex, horizon: datetime
) -> dict[str, tuple[CheckIn, int]]:
    """Per worker: the newest check-in up to ``horizon`` and how many there are.

    From the cache's per-sender summary when it has one and nothing in it is
    later than ``horizon``; otherwise by grouping every check-in (the same answer).
    """
    summary = snapshot.checkin_summary
    if summary is None or any(s.newest.at > horizon for rows in summary.values() for s in rows):
        grouped = _group_checkins(snapshot, index, horizon)
        return {wid: (max(items, key=_NEWEST), len(items)) for wid, items in grouped.items()}
    latest: dict[str, tuple[CheckIn, int]] = {}
    match = index.match
    for rows in summary.values():
        for sender in rows:
            worker_id = match(sender.who)
            if worker_id is None:
                continue
            found = latest.get(worker_id)
            if found is None:
                latest[worker_id] = (sender.newest, sender.count)
            else:
                newest = found[0] if _NEWEST(found[0]) >= _NEWEST(sender.newest) else sender.newest
                latest[worker_id] = (newest, found[1] + sender.count)
    return latest


def _group_entries(
    snapshot: CacheSnapshot, index: WorkerIndex, horizon: datetime
) -> dict[str, list[TimeEntry]]:
    grouped: dict[str, list[TimeEntry]] = {}
    match = index.match
    for rows in snapshot.entries.values():
        for entry in rows:
            if entry.start > horizon:
                continue
            worker_id = match(entry.who)
            if worker_id is not None:
                grouped.setdefault(worker_id, []).append(entry)
    return grouped


def worker_history(snapshot: CacheSnapshot, worker_id: str) -> WorkerHistory:
    """Everything matched to ``worker_id``, newest first."""
    roster = snapshot.all_roster()
    index = WorkerIndex.of(roster)
    row = next((r for r in roster if r.worker_id == worker_id), None)
    checkins = [
        c for rows in snapshot.checkins.values() for c in rows if index.match(c.who) == worker_id
    ]
    unique = list({c.key or f"#{i}": c for i, c in enumerate(checkins)}.values())
    entries = [
        e for rows in snapshot.entries.values() for e in rows if index.match(e.who) == worker_id
    ]
    unique.sort(key=lambda c: (c.at, c.key), reverse=True)
    entries.sort(key=lambda e: (e.start, e.key), reverse=True)
    return WorkerHistory(worker_id, row, unique, entries)


# -- per-worker pieces -----------------------------------------------------------


@lru_cache(maxsize=1024)
def _schedule(
    row_texts: tuple[str, str, str], defaults: WorkerDefaults
) -> tuple[Schedule, tuple[str, ...]]:
    """The schedule for a row's (timezone, hours, days), each bad part replaced by a default.

    Cached across calls: a ``Schedule`` keeps the UTC intervals it has worked
    out, so a dashboard refreshing every second reuses them.
    """
    tz_text = row_texts[0].strip() or defaults.timezone
    hours_text = row_texts[1].strip() or defaults.hours
    days_text = row_texts[2].strip() or defaults.days
    problems: list[str] = []
    tz = _first_valid(
        "timezone", (tz_text, defaults.timezone, _FALLBACK.timezone), parse_timezone, problems
    )
    hours = _first_valid(
        "hours", (hours_text, defaults.hours, _FALLBACK.hours), parse_hours, problems
    )
    days = _first_valid("days", (days_text, defaults.days, _FALLBACK.days), parse_days, problems)
    return Schedule.parse(tz, hours, days), tuple(problems)


def schedule_for(row: RosterRow, defaults: WorkerDefaults) -> tuple[Schedule, tuple[str, ...]]:
    """The schedule derive judges ``row`` by, and what was wrong with its columns.

    Empty columns take ``defaults``; an unreadable one takes the default too
    (or farwatch's own, if the default is unreadable) and adds a problem.
    """
    return _schedule((row.timezone, row.hours, row.days), defaults)


def _first_valid(
    label: str, candidates: tuple[str, ...], parse: Callable[[str], object], problems: list[str]
) -> str:
    """The first candidate that parses; a problem naming the bad value otherwise."""
    for position, text in enumerate(candidates):
        try:
            parse(text)
        except ScheduleError as exc:
            if position == 0:
                problems.append(f"{label}: {exc}")
            continue
        if position > 0:
            problems[-1] += f"; using {text!r}"
        return text
    return candidates[-1]


def _cap_period(row: RosterRow, defaults: WorkerDefaults) -> tuple[str, str | None]:
    wanted = str(row.cap_period or "").strip().casefold() or defaults.cap_period
    if wanted in CAP_PERIODS:
        return wanted, None
    fallback = defaults.cap_period if defaults.cap_period in CAP_PERIODS else "week"
    return (
        fallback,
        f"cap period: {wanted!r} is not one of {', '.join(CAP_PERIODS)}; using {fallback!r}",
    )


def _cap_seconds(row: RosterRow) -> float | None:
    cap = row.cap_hours
    if cap is None or not math.isfinite(cap) or cap <= 0:
        return None
    return float(cap) * 3600.0


def placed(entry: TimeEntry, schedule: Schedule) -> TimeEntry:
    """A date-only entry at the start of its day on the worker's calendar.

    Its ``start`` is never later than the moment it was read, so a day that had
    not begun for the worker then (a future date) is placed at that moment.
    """
    if entry.day is None:
        return entry
    at = min(schedule.day_start(entry.day), entry.start)
    return replace(entry, start=at, end=at)


def _used_seconds(
    worked: WorkedTime, start: datetime | None, now: datetime
) -> tuple[float, int, datetime | None]:
    """Worked seconds in [start, now] counted once, 1 if a timer runs (0 if not),
    and when counted work first began."""
    # Spans already end at ``now``; no open end would drop an entry placed at
    # ``now`` itself (a date-only entry read this instant), as ``[start, now)`` does.
    used = worked.seconds(start, None)
    running = int(any(e.end is None and e.start <= now for e in worked.entries))
    return used, running, worked.earliest(start)


def _cap_eta(
    schedule: Schedule,
    *,
    cap: float | None,
    used: float,
    running: int,
    since: datetime | None,
    period_end: datetime | None,
    now: datetime,
) -> datetime | None:
    if cap is None or used >= cap:
        return None
    remaining = cap - used
    eta: datetime | None
    if running:
        eta = now + timedelta(seconds=remaining / running)  # timers accrue in real time
    else:
        if since is None or used <= 0:
            return None
        worked = schedule.working_seconds_between(since, now)
        if worked <= 0:
            return None
        pace = used / worked  # tracked seconds per working second so far
        eta = schedule.add_working_seconds(now, remaining / pace, until=period_end)
    if eta is None or (period_end is not None and eta >= period_end):
        return None
    return eta


def _activity(spans: Sequence[Span], now: datetime) -> tuple[float, ...]:
    """Worked hours in each UTC clock hour of the last 24, the current hour last."""
    first = now.replace(minute=0, second=0, microsecond=0) - (ACTIVITY_HOURS - 1) * _HOUR
    # Spans are disjoint and in order, so their ends are too: skip, without
    # looking, the history that ended before the window (most of it).
    recent = spans[bisect_right(spans, first, key=_END) :]
    if not recent:
        return _IDLE_DAY
    buckets = [0.0] * ACTIVITY_HOURS
    touched = ACTIVITY_HOURS
    for span in recent:
        stop = span.end if span.end < now else now
        begin = span.start if span.start > first else first
        if stop <= begin:
            continue
        slot = int((begin - first).total_seconds() // 3600)
        touched = min(touched, slot)
        while begin < stop and slot < ACTIVITY_HOURS:
            edge = min(stop, first + (slot + 1) * _HOUR)
            buckets[slot] += (edge - begin).total_seconds() / 3600.0
            begin, slot = edge, slot + 1
    for slot in range(touched, ACTIVITY_HOURS):
        if buckets[slot]:
            buckets[slot] = round(buckets[slot], 4)
    return tuple(buckets)


def _checkin_level(
    last: datetime | None, working_now: bool, work_age: float | None, settings: Settings
) -> CheckinLevel:
    if last is None:
        return "never"
    if not working_now:
        return "off_hours"
    age = work_age or 0.0
    if age >= settings.thresholds.checkin_alert:
        return "alert"
    if age >= settings.thresholds.checkin_warn:
        return "warn"
    return "ok"


def _burn_level(burn: float | None, settings: Settings) -> BurnLevel:
    if burn is None:
        return "no_cap"
    if burn >= 1.0:
        return "over"
    if burn >= settings.thresholds.burn_warn:
        return "warn"
    return "ok"


def _current_task(
    row: RosterRow, entries: list[TimeEntry], latest: CheckIn | None
) -> tuple[str, TaskSource]:
    running = [e for e in entries if e.end is None and e.task.strip()]
    if running:
        return max(running, key=lambda e: (e.start, e.key)).task.strip(), "timer"
    if latest is not None:
        text = latest.task.strip() or latest.subject.strip()
        if text:
            return text, "checkin"
    if row.task.strip():
        return row.task.strip(), "roster"
    return "", "none"


# -- the rows ------------------------------------------------------------------------


def derive_statuses(
    snapshot: CacheSnapshot, settings: Settings, now: datetime
) -> list[WorkerStatus]:
    """One status per roster worker, in roster order, as of ``now`` (aware)."""
    if now.tzinfo is None:
        raise ValueError("derive_statuses needs an aware 'now'")
    now = now.astimezone(UTC)
    roster = snapshot.all_roster()
    index = WorkerIndex.of(roster)
    horizon = now + FUTURE_TOLERANCE
    checkins = _latest_checkins(snapshot, index, horizon)
    entries = _group_entries(snapshot, index, horizon)
    return [
        _status(
            row,
            checkins.get(row.worker_id, (None, 0)),
            entries.get(row.worker_id, []),
            snapshot,
            settings,
            now,
        )
        for row in roster
    ]


def _status(
    row: RosterRow,
    checkins: tuple[CheckIn | None, int],
    entries: list[TimeEntry],
    snapshot: CacheSnapshot,
    settings: Settings,
    now: datetime,
) -> WorkerStatus:
    schedule, schedule_problems = schedule_for(row, settings.defaults)
    entries = [placed(e, schedule) for e in entries]
    problems = list(schedule_problems)
    period, period_problem = _cap_period(row, settings.defaults)
    if period_problem:
        problems.append(period_problem)

    latest, checkins_total = checkins
    last = latest.at if latest is not None else None
    working_now = schedule.is_working(now)
    age = max(0.0, (now - last).total_seconds()) if last is not None else None
    work_age = schedule.working_seconds_between(last, now) if last is not None else None

    period_start = schedule.period_start(period, now)
    if period == "task":
        wanted = row.task.strip().casefold()
        counted = [e for e in entries if e.task.strip().casefold() == wanted] if wanted else entries
    else:
        counted = entries
    worked = shared_memo.worked_time(("counted", row.worker_id), counted, now)
    used, running_in_period, earliest = _used_seconds(worked, period_start, now)
    cap = _cap_seconds(row)
    burn = used / cap if cap is not None else None
    cap_eta = _cap_eta(
        schedule,
        cap=cap,
        used=used,
        running=running_in_period,
        since=period_start if period_start is not None else earliest,
        period_end=schedule.period_end(period, now),
        now=now,
    )
    task, task_source = _current_task(row, entries, latest)
    return WorkerStatus(
        id=row.worker_id,
        name=row.name.strip() or row.email.strip() or row.worker_id,
        email=row.email,
        category=row.category,
        timezone=schedule.tz_name,
        local_time=schedule.local(now),
        task=task,
        task_source=task_source,
        running=any(e.end is None for e in entries),
        paused=row.worker_id in snapshot.paused,
        working_now=working_now,
        last_checkin=last,
        last_checkin_subject=latest.subject if latest is not None else "",
        checkin_age=age,
        checkin_work_age=work_age,
        checkin_level=_checkin_level(last, working_now, work_age, settings),
        hours_used=used / 3600.0,
        cap_hours=row.cap_hours if cap is not None else None,
        cap_period=period,
        period_start=period_start,
        burn=burn,
        burn_level=_burn_level(burn, settings),
        cap_eta=cap_eta,
        checkins_total=checkins_total,
        im=row.im,
        rate=row.rate,
        currency=row.currency,
        activity=_activity(
            (
                worked
                if counted is entries
                else shared_memo.worked_time(("all", row.worker_id), entries, now)
            ).spans,
            now,
        ),
        problems=tuple(problems),
    )
