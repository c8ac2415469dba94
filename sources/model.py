"""Observations: the plain records every source produces.

Sources know nothing about the cache or the roster they will be matched
against, so every record names its worker by whatever identity the source has
(an email address, a tracker user id) in ``who``; ``farwatch.state`` matches
``who`` to a roster worker later, so a roster change re-matches old records.
All datetimes are timezone-aware and in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

CapPeriod = Literal["day", "week", "month", "task"]
CAP_PERIODS: tuple[CapPeriod, ...] = ("day", "week", "month", "task")

CheckinKind = Literal["checkin", "done", "blocked", "question", "away"]


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One worker as the roster describes them (who, caps, contact, hours).

    Empty ``timezone``, ``hours``, ``days`` and ``cap_period`` mean "not given":
    the config's ``[defaults]`` fill them in when statuses are derived.
    """

    worker_id: str
    name: str
    email: str = ""
    task: str = ""
    cap_hours: float | None = None
    cap_period: CapPeriod | Literal[""] = ""
    rate: float | None = None
    currency: str = ""
    timezone: str = ""
    hours: str = ""
    days: str = ""
    category: str = ""
    im: str = ""
    tracker_id: str = ""
    aliases: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A message from a worker saying what they are doing (usually an email).

    ``key`` is stable across polls and servers (the Message-ID when there is
    one) so re-reading a mailbox never duplicates a check-in.
    """

    key: str
    who: str
    at: datetime
    subject: str
    first_line: str = ""
    kind: CheckinKind = "checkin"
    task: str = ""


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """A span of tracked work; ``end`` is None while the timer runs.

    ``accrued_seconds`` is time already on the entry before ``start`` (Harvest
    restarts a timer on an existing entry), so an entry's duration is always
    ``accrued_seconds + ((end or now) - start)``.

    ``day`` marks a date-only entry (Harvest without timestamps): its hours are
    ``accrued_seconds`` on that day *in the worker's own timezone*, which only
    the roster knows, so ``state`` places it. Its ``start == end`` is no clock
    time, only a bookkeeping instant that is never later than the moment the
    entry was read (see ``farwatch.sources.tracker.date_only_instant``).
    """

    key: str
    who: str
    start: datetime
    end: datetime | None
    task: str = ""
    accrued_seconds: float = 0.0
    day: date | None = None

    @property
    def running(self) -> bool:
        return self.end is None

    def seconds(self, now: datetime) -> float:
        """Tracked seconds up to ``now`` (running entries count up to now)."""
        stop = self.end if self.end is not None else now
        return self.accrued_seconds + max(0.0, (stop - self.start).total_seconds())


Observation = RosterRow | CheckIn | TimeEntry
Cursor = dict[str, Any]


@dataclass(slots=True)
class FetchResult:
    """What one ``fetch`` returned.

    ``roster_complete``: the roster rows are the whole roster of this source, so
    workers it no longer lists are dropped. ``running_complete``: the running
    entries are every running timer of this source, so an open entry in the
    cache that is absent here has stopped. ``entries_complete``: the entries are
    every entry of this source in ``entries_window`` (start, end), so cached
    entries in that window that are absent were deleted upstream.
    """

    roster: list[RosterRow] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    entries: list[TimeEntry] = field(default_factory=list)
    cursor: Cursor = field(default_factory=dict)
    roster_complete: bool = False
    running_complete: bool = False
    entries_complete: bool = False
    entries_window: tuple[datetime, datetime] | None = None
    requests: int = 0
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return len(self.roster) + len(self.checkins) + len(self.entries)
