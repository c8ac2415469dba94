"""Working shifts for the demo team, placed relative to the moment it starts.

The demo promises a mix of states (fresh, stale, off-hours...) whatever time
of day someone runs it. A fixed "09:00-17:00" cannot do that: at 03:00 in
Manila nobody would be working. So each demo worker's shift is chosen around
their *local* now: "on shift, started about three hours ago" or "off shift,
next shift starts in two hours". Windows stay inside one calendar day whenever
that is possible, because that is what most rosters say and what every reader
of an ``hours`` column understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 24 * 60
STEP = 30
"""Shift boundaries are whole or half hours, like a real roster."""
MARGIN = 90
"""Minutes kept between now and a shift boundary, so the state holds for a while."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_RANGES: tuple[tuple[int, int], ...] = ((0, 4), (0, 5), (1, 5), (2, 6))
"""Working-day ranges the demo uses: Mon-Fri, Mon-Sat, Tue-Sat, Wed-Sun."""


def _floor(minutes: int) -> int:
    return (minutes // STEP) * STEP


def _ceil(minutes: int) -> int:
    return -((-minutes) // STEP) * STEP


@dataclass(frozen=True, slots=True)
class Shift:
    """A daily working window in a timezone on a range of weekdays.

    ``start`` is minutes after local midnight; a window whose end passes
    midnight belongs to the day it starts on.
    """

    tz: str
    start: int
    length: int
    first_day: int = 0
    last_day: int = 4

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def hours_text(self) -> str:
        end = (self.start + self.length) % DAY
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{end // 60:02d}:{end % 60:02d}"

    @property
    def days_text(self) -> str:
        return f"{WEEKDAYS[self.first_day]}-{WEEKDAYS[self.last_day]}"

    def works_on(self, day: date) -> bool:
        return in_range(day.weekday(), (self.first_day, self.last_day))

    def window_on(self, day: date) -> tuple[datetime, datetime]:
        """The shift starting on local ``day``, as UTC instants (wall-clock ends)."""
        zone = self.zone
        begin = datetime.combine(day, time(self.start // 60, self.start % 60), zone)
        end_minutes = self.start + self.length
        end_day = day + timedelta(days=end_minutes // DAY)
        end_minutes %= DAY
        end = datetime.combine(end_day, time(end_minutes // 60, end_minutes % 60), zone)
        return begin.astimezone(UTC), end.astimezone(UTC)

    def windows_before(
        self, now: datetime, days_back: int = 42
    ) -> Iterator[tuple[datetime, datetime]]:
        """Worked windows up to ``now``, newest first, the current one cut at now."""
        today = now.astimezone(self.zone).date()
        for back in range(-1, days_back + 1):
            day = today - timedelta(days=back)
            if not self.works_on(day):
                continue
            begin, end = self.window_on(day)
            if begin >= now:
                continue
            yield begin, min(end, now)

    def is_on(self, at: datetime) -> bool:
        return any(
            begin <= at < end for begin, end in self.windows_before(at + timedelta(seconds=1), 2)
        )

    def worked_before(self, now: datetime, seconds: float) -> datetime:
        """The instant that lies ``seconds`` of working time before ``now``.

        A check-in placed there has exactly that working age, which is what
        the dashboard compares with its thresholds.
        """
        left = seconds
        for begin, end in self.windows_before(now):
            span = (end - begin).total_seconds()
            if span >= left:
                return end - timedelta(seconds=left)
            left -= span
        raise ValueError("not enough working time in the look-back window")


def in_range(weekday: int, days: tuple[int, int]) -> bool:
    """Is ``weekday`` in the range? "Sun-Thu" (6, 3) wraps past the weekend."""
    first, last = days
    if first <= last:
        return first <= weekday <= last
    return weekday >= first or weekday <= last


def _days_for(weekday: int, prefer: tuple[int, int]) -> tuple[int, int]:
    """The preferred day range if it holds ``weekday``, else the first one that does."""
    if in_range(weekday, prefer):
        return prefer
    return next(r for r in DAY_RANGES if in_range(weekday, r))


def _local_minutes(now: datetime, tz: str) -> tuple[int, int]:
    local = now.astimezone(ZoneInfo(tz))
    return local.hour * 60 + local.minute, local.weekday()


def on_shift(
    now: datetime, tz: str, *, started_ago: int, length: int, days: tuple[int, int] = (0, 4)
) -> Shift:
    """A shift that holds ``now``, started about ``started_ago`` minutes ago.

    The start moves as little as needed to keep the window inside the day and
    to leave MARGIN minutes before its end; only when now is within MARGIN of
    local midnight does the window run past midnight.
    """
    local, weekday = _local_minutes(now, tz)
    lo = max(0, _ceil(local + MARGIN - length))
    hi = min(_floor(local), DAY - length)
    wanted = _floor(local - started_ago)
    start = min(max(wanted, lo), hi) if lo <= hi else max(0, wanted)
    first, last = _days_for(weekday, days)
    return Shift(tz, start, length, first, last)


def off_shift(now: datetime, tz: str, *, length: int, days: tuple[int, int] = (0, 4)) -> Shift:
    """A shift that does not hold ``now``: it starts later today or ended earlier.

    Shifts of up to nine hours always fit one side or the other with MARGIN
    minutes to spare.
    """
    local, _ = _local_minutes(now, tz)
    later = _ceil(local + MARGIN)
    start = later if later + length <= DAY else max(0, _floor(local - MARGIN - length))
    return Shift(tz, start, length, days[0], days[1])
