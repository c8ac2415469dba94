"""A worker's working hours, in their own timezone.

A check-in is only "late" by the time that passed while the worker was meant
to be working, so everything here works on local wall-clock windows (say
09:00-17:00, Mon-Fri, in Asia/Manila) turned into real UTC intervals one local
day at a time. Doing the conversion per day is what keeps DST honest: a
09:00-17:00 shift on the day New York springs forward is still 09:00-17:00 on
the wall, and its length is whatever really elapsed between those instants.

A window that crosses midnight (22:00-06:00) belongs to the day it starts on:
"Mon-Fri" with a night shift means Monday night to Saturday morning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
PERIODS = ("day", "week", "month", "task")

Interval = tuple[datetime, datetime]


class ScheduleError(ValueError):
    """A timezone, hours or days value that cannot be understood."""


@dataclass(frozen=True, slots=True)
class Window:
    """One daily working window, in minutes after the local midnight it starts on.

    ``end`` is greater than ``start``; past 1440 it ends on the next day.
    """

    start: int
    end: int

    def __str__(self) -> str:
        text = f"{_hhmm(self.start)}-{_hhmm(self.end % MINUTES_PER_DAY or self.end)}"
        long_night = self.end > MINUTES_PER_DAY and self.end - self.start > MAX_IMPLICIT_SHIFT
        return text + "+1" if long_night else text


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- parsing -------------------------------------------------------------------

_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_TIME = re.compile(r"(\d{1,2})(?::?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)
_DASHES = re.compile(r"\s*[-–—]\s*|\s+to\s+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _zone_names_by_folded() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@lru_cache(maxsize=1024)
def parse_timezone(text: str) -> tzinfo:
    """An IANA zone ("Asia/Manila"), "UTC", or a fixed offset ("UTC+8", "+05:30").

    Kept per text (an error is not kept): a roster repeats a few zones a
    thousand times, and each is read again by derive and by its cell checks.

    Raises:
        ScheduleError: the zone is unknown or empty.
    """
    name = text.strip()
    if not name:
        raise ScheduleError("the timezone is empty (expected an IANA name such as Asia/Manila)")
    if name.casefold() in ("utc", "gmt", "z", "etc/utc"):
        return UTC
    offset = _OFFSET.fullmatch(name)
    if offset:
        sign, hh, mm = offset.groups()
        delta = timedelta(hours=int(hh), minutes=int(mm or 0))
        if delta > timedelta(hours=14):
            raise ScheduleError(f"timezone offset {name!r} is beyond ±14:00")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    canonical = _zone_names_by_folded().get(name.casefold())
    if canonical is not None:
        return ZoneInfo(canonical)
    raise ScheduleError(
        f"unknown timezone {name!r} (expected an IANA name such as Asia/Manila or Europe/Kyiv)"
    )


def _parse_time(text: str, *, is_end: bool) -> int:
    match = _TIME.fullmatch(text.strip())
    if not match:
        raise ScheduleError(f"cannot read the time {text.strip()!r} (expected HH:MM, e.g. 09:00)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").replace(".", "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{text.strip()!r}: with am/pm the hour must be 1-12")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not is_end)):
        raise ScheduleError(f"{text.strip()!r} is not a time of day")
    return hour * 60 + minute


@lru_cache(maxsize=1024)
def parse_hours(text: str) -> tuple[Window, ...]:
    """ "09:00-17:00", "22:00-06:00", "09:00-12:00,13:00-18:00", "9am-5pm", "24h".

    Kept per text, like ``parse_timezone`` (the windows are immutable).

    Raises:
        ScheduleError: with the piece that could not be read.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ScheduleError("the working hours are empty (expected e.g. 09:00-17:00)")
    if cleaned.casefold() in ("24h", "24/7", "always", "all day"):
        return (Window(0, MINUTES_PER_DAY),)
    windows: list[Window] = []
    for piece in re.split(r"[,;]", cleaned):
        parts = _DASHES.split(piece.strip())
        if len(parts) != 2 or not all(parts):
            raise ScheduleError(
                f"cannot read the hours {piece.strip()!r} (expected START-END, e.g. 09:00-17:00)"
            )
        next_day = _NEXT_DAY.search(parts[1]) is not None
        start = _parse_time(parts[0], is_end=False)
        end = _parse_time(_NEXT_DAY.sub("", parts[1]), is_end=True)
        if end == start:
            raise ScheduleError(
                f"the hours {piece.strip()!r} start and end at the same time "
                "(for round the clock use 00:00-24:00)"
            )
        _refuse_ambiguous(piece.strip(), parts, start, end, next_day)
        if end < start:
            end += MINUTES_PER_DAY  # crosses midnight: ends on the next day
        windows.append(Window(start, end))
    return tuple(sorted(windows, key=lambda w: (w.start, w.end)))


MAX_IMPLICIT_SHIFT = 16 * 60
"""Minutes; a longer shift must say so (``22:00-16:00+1``): "9-5" is far more
often a day shift written short than a 20-hour night."""
_NEXT_DAY = re.compile(r"\s*(?:\+1|\(\+1\)|next day)\s*$", re.I)
_BARE_HOUR = re.compile(r"\d{1,2}")


def _refuse_ambiguous(piece: str, parts: list[str], start: int, end: int, next_day: bool) -> None:
    """Refuse hours that read as a much longer shift than was probably meant."""
    length = end - start if end > start else end + MINUTES_PER_DAY - start
    bare = all(_BARE_HOUR.fullmatch(p.strip()) for p in parts)
    if next_day or length <= MAX_IMPLICIT_SHIFT or (end > start and not bare):
        return
    guess = ""
    meridiem = any(re.search(r"[ap]\.?m", p, re.I) for p in parts)
    if not meridiem and end < start and end + 12 * 60 > start:
        guess = f"{_hhmm(start)}-{_hhmm(end + 12 * 60)}"
    hint = f"did you mean {guess}? " if guess else ""
    spelled = f"{_hhmm(start)}-{_hhmm(end)}"
    how = f"{spelled} if that is meant" if end > start else f"{spelled}+1 if it ends the next day"
    raise ScheduleError(f"the hours {piece!r} read as a {length / 60:g} h shift; {hint}write {how}")


def _day_index(token: str) -> int:
    word = token.strip().rstrip(".").casefold()
    found = [i for i, name in enumerate(DAY_NAMES) if len(word) >= 2 and name.startswith(word)]
    if len(found) != 1:
        raise ScheduleError(f"unknown day {token.strip()!r} (expected Mon, Tue, ... Sun)")
    return found[0]


@lru_cache(maxsize=1024)
def parse_days(text: str) -> frozenset[int]:
    """ "Mon-Fri", "Mon,Wed,Fri", "Sun-Thu", "daily", "weekdays"; Monday is 0.

    Kept per text, like ``parse_timezone``.

    Raises:
        ScheduleError: with the piece that could not be read.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ScheduleError("the working days are empty (expected e.g. Mon-Fri)")
    if cleaned.casefold() in ("daily", "every day", "everyday", "all", "all week", "7 days"):
        return frozenset(range(7))
    if cleaned.casefold() in ("weekdays", "workdays"):
        return frozenset(range(5))
    if cleaned.casefold() in ("weekends", "weekend"):
        return frozenset((5, 6))
    days: set[int] = set()
    for piece in re.split(r"[,;/\s]+", _DASHES.sub("-", cleaned)):
        if not piece:
            continue
        if "-" in piece:
            first, _, last = piece.partition("-")
            a, b = _day_index(first), _day_index(last)
            days.update((a + i) % 7 for i in range((b - a) % 7 + 1))  # Sun-Thu wraps
        else:
            days.add(_day_index(piece))
    if not days:
        raise ScheduleError(f"cannot read the days {text.strip()!r} (expected e.g. Mon-Fri)")
    return frozenset(days)


def describe_days(days: frozenset[int]) -> str:
    """The shortest usual spelling: "daily", "Mon-Fri", "Sun-Thu", "Mon,Wed,Fri"."""
    if len(days) == 7:
        return "daily"
    # Start each run after a day off so that runs wrapping the week stay whole.
    first = next(d for d in range(7) if (d - 1) % 7 not in days and d in days)
    runs: list[tuple[int, int]] = []
    for offset in range(7):
        day = (first + offset) % 7
        if day not in days:
            continue
        if runs and runs[-1][1] == (day - 1) % 7:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))

    def name(d: int) -> str:
        return DAY_NAMES[d][:3].title()

    return ",".join(
        name(a) if a == b else f"{name(a)}{'-' if (b - a) % 7 > 1 else ','}{name(b)}"
        for a, b in runs
    )


# -- the schedule ----------------------------------------------------------------


class Schedule:
    """When one worker works: windows on some weekdays, in one timezone.

    Instances are cheap to query repeatedly: each local day's UTC intervals are
    computed once and kept (bounded), so sharing one ``Schedule`` between
    workers with the same hours makes a whole team's derive fast.
    """

    __slots__ = (
        "_day_cache",
        "_day_seconds",
        "_heads",
        "_midnights",
        "_pattern",
        "_tails",
        "days",
        "tz",
        "tz_name",
        "windows",
    )

    _CACHE_LIMIT = 4096
    _HORIZON_DAYS = 400

    def __init__(
        self, tz: tzinfo, windows: tuple[Window, ...], days: frozenset[int], tz_name: str = ""
    ) -> None:
        if not windows or not days:
            raise ScheduleError("a schedule needs at least one window and one day")
        self.tz = tz
        self.tz_name = tz_name or str(tz)
        self.windows = windows
        self.days = days
        self._day_cache: dict[date, tuple[Interval, ...]] = {}
        self._pattern: tuple[float, ...] | None = None
        self._midnights: dict[date, datetime] = {}
        self._day_seconds: dict[date, float] = {}
        self._tails: dict[tuple[datetime, datetime], float] = {}
        self._heads: dict[tuple[datetime, datetime], float] = {}

    @classmethod
    def parse(cls, timezone: str, hours: str, days: str) -> Schedule:
        """Build a schedule from roster text.

        Raises:
            ScheduleError: naming the timezone, hours or days that are wrong.
        """
        tz = parse_timezone(timezone)
        name = getattr(tz, "key", None) or timezone.strip()
        if tz is UTC:
            name = "UTC"
        return cls(tz, parse_hours(hours), parse_days(days), name)

    def __repr__(self) -> str:
        return f"Schedule({self.describe()!r})"

    def describe(self) -> str:
        """E.g. "09:00-17:00 Mon-Fri (Asia/Manila)"; for screens and messages."""
        hours = ",".join(str(w) for w in self.windows)
        return f"{hours} {describe_days(self.days)} ({self.tz_name})"

    def local(self, at: datetime) -> datetime:
        """``at`` on the worker's wall clock."""
        return _aware(at).astimezone(self.tz)

    # -- intervals ---------------------------------------------------------

    def _day(self, day: date) -> tuple[Interval, ...]:
        """UTC intervals of the windows that start on local ``day``."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        result: tuple[Interval, ...] = ()
        if day.weekday() in self.days:
            result = tuple(
                (self._instant(day, w.start), self._instant(day, w.end)) for w in self.windows
            )
        if len(self._day_cache) >= self._CACHE_LIMIT:
            self._day_cache.clear()
        self._day_cache[day] = result
        return result

    def _instant(self, day: date, minutes: int) -> datetime:
        return _local_instant(self.tz, day, minutes)

    def _raw_from(self, first_day: date, last_day: date | None) -> Iterator[Interval]:
        """Intervals of windows starting on ``first_day`` onwards, ordered by start.

        They may touch or overlap (a night shift running into a morning one);
        callers merge as they go, which keeps an open-ended walk lazy.
        """
        day = first_day
        stop = last_day if last_day is not None else first_day + timedelta(days=self._HORIZON_DAYS)
        while day <= stop:
            yield from self._day(day)
            day += timedelta(days=1)

    def intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Working time inside [start, end), as merged UTC intervals in order."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        current: Interval | None = None
        for a, b in self._raw_from(first, last):
            a, b = max(a, start), min(b, end)
            if b <= a:
                continue
            if current is None:
                current = (a, b)
            elif a <= current[1]:
                current = (current[0], max(current[1], b))
            else:
                yield current
                current = (a, b)
        if current is not None:
            yield current

    # -- questions ---------------------------------------------------------

    def is_working(self, at: datetime) -> bool:
        """Is ``at`` inside one of the worker's windows?"""
        at = _aware(at)
        today = at.astimezone(self.tz).date()
        for day in (today - timedelta(days=1), today):
            for start, end in self._day(day):
                if start <= at < end:
                    return True
        return False

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Real seconds of working time between two instants (0 if end <= start).

        The cost does not grow with the span: the days at either end, and the
        few around each change of UTC offset, are measured from their real
        intervals; every other day is worth what the weekly pattern says its
        weekday is worth. Asked again with a later ``end`` the same day, only the stretch
        since that day's local midnight is measured again.
        """
        start, end = _aware(start), _aware(end)
        split = self._midnight(end.astimezone(self.tz).date())
        if split <= start:
            return self._measured(start, end)
        return self._head(start, split) + self._tail(split, end)

    def _head(self, start: datetime, midnight: datetime) -> float:
        """Working seconds from ``start`` to a local midnight, kept: judged again a minute
        later, a worker asks about the same start (their last check-in, their period's
        first day) up to the same midnight, and only the tail after it has grown."""
        return self._remembered(self._heads, (start, midnight), self._span)

    def _span(self, start: datetime, end: datetime) -> float:
        """``working_seconds_between`` without the memo; long spans by the weekly pattern."""
        first = start.astimezone(self.tz).date() + timedelta(days=2)
        last = end.astimezone(self.tz).date() - timedelta(days=1)
        if (last - first).days < _WALK_DAYS:
            return self._measured(start, end)
        middle_start, middle_end = self._midnight(first), self._midnight(last)
        return (
            self._measured(start, middle_start)
            + self._whole_days(first, last)
            + self._measured(middle_end, end)
        )

    def _tail(self, midnight: datetime, end: datetime) -> float:
        """``_measured`` from a local midnight to ``end``, kept: every worker sharing this
        schedule is judged at the same ``now``, so they all ask for the same tail."""
        return self._remembered(self._tails, (midnight, end), self._measured)

    def _remembered(
        self,
        kept: dict[tuple[datetime, datetime], float],
        span: tuple[datetime, datetime],
        measure: Callable[[datetime, datetime], float],
    ) -> float:
        """``measure(*span)``, kept in ``kept`` (bounded: emptied when full)."""
        found = kept.get(span)
        if found is None:
            if len(kept) >= self._CACHE_LIMIT:
                kept.clear()
            found = kept[span] = measure(*span)
        return found

    def _measured(self, start: datetime, end: datetime) -> float:
        return sum((b - a).total_seconds() for a, b in self.intervals(start, end))

    def _whole_days(self, first: date, last: date) -> float:
        """Working seconds from local midnight of ``first`` to that of ``last``."""
        pattern = self._weekday_seconds()
        days = (last - first).days
        weeks, rest = divmod(days, 7)
        total = weeks * sum(pattern)
        total += sum(pattern[(first.weekday() + i) % 7] for i in range(rest))
        for day in _days_near_offset_changes(self.tz, first, last):
            total += self._exact_day(day) - pattern[day.weekday()]
        return total

    def _exact_day(self, day: date) -> float:
        """Working seconds of one local day, from its real intervals (kept: workers share
        schedules, and the days around a change of offset are the same for all of them)."""
        found = self._day_seconds.get(day)
        if found is None:
            if len(self._day_seconds) >= self._CACHE_LIMIT:
                self._day_seconds.clear()
            end = self._midnight(day + timedelta(days=1))
            found = self._day_seconds[day] = self._measured(self._midnight(day), end)
        return found

    def _weekday_seconds(self) -> tuple[float, ...]:
        """Working seconds of each local weekday (Monday first) when the UTC offset holds
        still: the windows laid on a week of wall-clock minutes, merged, counted per day."""
        if self._pattern is None:
            week = 7 * MINUTES_PER_DAY
            covered = bytearray(week)  # one mark per wall-clock minute; overlaps merge
            for day in self.days:
                for w in self.windows:
                    a, b = day * MINUTES_PER_DAY + w.start, day * MINUTES_PER_DAY + w.end
                    covered[a : min(b, week)] = b"\x01" * (min(b, week) - a)
                    if b > week:  # Sunday's window runs into Monday
                        covered[: b - week] = b"\x01" * (b - week)
            self._pattern = tuple(
                60.0 * covered[d * MINUTES_PER_DAY : (d + 1) * MINUTES_PER_DAY].count(1)
                for d in range(7)
            )
        return self._pattern

    def next_start(self, after: datetime) -> datetime | None:
        """When the next working stretch begins, at or after ``after`` (UTC).

        A window that continues straight into another (a night shift followed
        by a morning one) is one stretch, so its second half is not a "start".
        None for a round-the-clock schedule that never stops.
        """
        after = _aware(after)
        covered: datetime | None = None
        for a, b in self._raw_from(after.astimezone(self.tz).date() - timedelta(days=1), None):
            if a >= after and (covered is None or a > covered):
                return a
            covered = b if covered is None else max(covered, b)
        return None

    def add_working_seconds(
        self, start: datetime, seconds: float, *, until: datetime | None = None
    ) -> datetime | None:
        """The instant when ``seconds`` of working time have passed since ``start``.

        None when that is later than ``until`` or more than about a year of
        schedule away.
        """
        start = _aware(start)
        if seconds <= 0:
            return start
        first_day = start.astimezone(self.tz).date() - timedelta(days=1)
        last_day = first_day + timedelta(days=self._HORIZON_DAYS)
        remaining = timedelta(seconds=seconds)
        covered = start  # working time before this instant is already counted
        skip = self._skip_weeks(start, seconds, last_day, until)
        if skip is not None:
            covered, worked = skip
            remaining -= timedelta(seconds=worked)
            first_day = covered.astimezone(self.tz).date() - timedelta(days=1)
        for a, b in self._raw_from(first_day, last_day):
            if until is not None and a > until:
                return None
            a = max(a, covered)
            if b <= a:
                continue
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
            covered = b
        return None

    def _skip_weeks(
        self, start: datetime, seconds: float, last_day: date, until: datetime | None
    ) -> tuple[datetime, float] | None:
        """A local midnight, whole weeks on, that ``seconds`` of work from ``start`` surely
        passes (three weeks short of the pattern's estimate), and the working seconds up
        to it; None when not worth it."""
        weeks = int(seconds // sum(self._weekday_seconds())) - 3
        if weeks < 1:
            return None
        day = min(start.astimezone(self.tz).date() + timedelta(days=7 * weeks), last_day)
        target = self._midnight(day)
        if target <= start or (until is not None and target > until):
            return None
        worked = self.working_seconds_between(start, target)
        if worked >= seconds:
            return None  # the estimate was off (it never should be); walk it all
        return target, worked

    def period_start(self, period: str, at: datetime) -> datetime | None:
        """Start (UTC) of the cap period containing ``at``, on the worker's calendar.

        Days start at local midnight, weeks on local Monday, months on the 1st.
        ``task`` has no start (the whole retained history counts): None.

        Raises:
            ValueError: unknown period.
        """
        day = self._period_first_day(period, at)
        return None if day is None else self._midnight(day)

    def period_end(self, period: str, at: datetime) -> datetime | None:
        """Start (UTC) of the period after the one containing ``at``; None for ``task``."""
        day = self._period_first_day(period, at)
        if day is None:
            return None
        if period == "day":
            return self._midnight(day + timedelta(days=1))
        if period == "week":
            return self._midnight(day + timedelta(days=7))
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        return self._midnight(date(year, month, 1))

    def _period_first_day(self, period: str, at: datetime) -> date | None:
        today = self.local(at).date()
        if period == "day":
            return today
        if period == "week":
            return today - timedelta(days=today.weekday())
        if period == "month":
            return today.replace(day=1)
        if period == "task":
            return None
        raise ValueError(f"unknown cap period {period!r} (expected one of {', '.join(PERIODS)})")

    def day_start(self, day: date) -> datetime:
        """The instant (UTC) the worker's local ``day`` begins."""
        return self._midnight(day).astimezone(UTC)

    def _midnight(self, day: date) -> datetime:
        found = self._midnights.get(day)
        if found is None:
            if len(self._midnights) >= self._CACHE_LIMIT:
                self._midnights.clear()
            found = self._midnights[day] = self._instant(day, 0)
        return found


@lru_cache(maxsize=65536)
def _local_instant(tz: tzinfo, day: date, minutes: int) -> datetime:
    """The real instant of a wall-clock time on a local day in ``tz``.

    A repeated wall time (autumn) is its first occurrence. A skipped one
    (spring gap) is the moment the clock resumes: a shift "starting 02:30"
    on the night the clock jumps 02:00 -> 03:00 starts at 03:00. Kept per
    zone, not per schedule: every schedule in a zone asks for the same
    midnights and shift edges.
    """
    extra_days, minutes = divmod(minutes, MINUTES_PER_DAY)
    wall = datetime.combine(
        day + timedelta(days=extra_days), time(minutes // 60, minutes % 60), tzinfo=tz
    )
    instant = wall.astimezone(UTC)
    naive = wall.replace(tzinfo=None)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(tz, wall.replace(fold=1).astimezone(UTC), instant, naive)


def _gap_end(tz: tzinfo, first: datetime, second: datetime, wall: datetime) -> datetime:
    """First whole second between two instants whose wall time in ``tz`` is at or after
    ``wall``."""
    low, high = sorted((int(first.timestamp()), int(second.timestamp())))
    while high - low > 1:  # invariant: wall time at low < wall <= wall time at high
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


_WALK_DAYS = 14
"""Spans shorter than this many whole days are simply measured interval by interval."""

_PROBE = timedelta(days=14)
"""The zone's offset is sampled this often: no zone keeps an offset for less than two
weeks, so every change lies between two samples that differ."""


def _days_near_offset_changes(tz: tzinfo, first: date, last: date) -> list[date]:
    """Local days in [first, last) within a day of a change of the zone's UTC offset:
    on those days the real working time may differ from the weekly pattern."""
    if isinstance(tz, timezone):
        return []  # a fixed offset never changes
    found: set[date] = set()
    for year in range(first.year, last.year + 1):
        found.update(day for day in _days_near_changes_in(tz, year) if first <= day < last)
    return sorted(found)


@lru_cache(maxsize=512)
def _days_near_changes_in(tz: tzinfo, year: int) -> tuple[date, ...]:
    """Local days within a day of each change of ``tz``'s offset during ``year``
    (a window of the day before may reach in)."""
    return tuple(
        change.astimezone(tz).date() + timedelta(days=near)
        for change in _offset_changes(tz, year)
        for near in (-1, 0, 1)
    )


@lru_cache(maxsize=512)
def _offset_changes(tz: tzinfo, year: int) -> tuple[datetime, ...]:
    """UTC instants (to within a minute) when ``tz`` changes its offset during ``year``."""

    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(tz).utcoffset()

    lo = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    hi = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    changes: list[datetime] = []
    at = lo
    while at < hi:
        step_end = min(at + _PROBE, hi)
        if offset(at) != offset(step_end):
            low, high = at, step_end
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            changes.append(high)
        at = step_end
    return tuple(changes)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("working-hours arithmetic needs timezone-aware datetimes")
    return at
