"""Observations: the plain records every source produces.

Sources know nothing about the cache or the roster they will be matched
against, so every record names its worker by whatever identity the source has
(an email address, a tracker user id) in ``who``; ``farwatch.state`` matches
``who`` to a roster worker later, so a roster change re-matches old records.
All datetimes are timezone-aware and in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args

CapPeriod = Literal["day", "week", "month", "task"]
CAP_PERIODS: tuple[CapPeriod, ...] = ("day", "week", "month", "task")

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Times farwatch computes with: periods, ages and offsets stay far from
``datetime``'s year 1 and 9999 limits. A record stamped outside is skipped
with a warning, and ``--now`` outside is refused."""


def time_in_range(value: datetime) -> bool:
    """``value`` (aware) lies within [EARLIEST, LATEST]; never raises."""
    try:
        return EARLIEST <= value <= LATEST
    except (OverflowError, TypeError):
        return False


def out_of_range_text(value: object) -> str:
    """The words for a time outside the range (shared by every boundary)."""
    return (
        f"{str(value)[:40]!r} is outside the years {EARLIEST.year}-{LATEST.year - 1} "
        "farwatch can compute with"
    )


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

    ``who_name`` is the tracker's own display name for ``who`` (Clockify
    ``userName``, Toggl ``username``, Harvest ``user.name``), when its answer
    carried one: a worker missing from the roster is then named as the owner
    knows them, not by an opaque tracker id.
    """

    key: str
    who: str
    start: datetime
    end: datetime | None
    task: str = ""
    accrued_seconds: float = 0.0
    day: date | None = None
    who_name: str = ""

    @property
    def running(self) -> bool:
        return self.end is None

    def seconds(self, now: datetime) -> float:
        """Tracked seconds up to ``now`` (running entries count up to now)."""
        stop = self.end if self.end is not None else now
        return self.accrued_seconds + max(0.0, (stop - self.start).total_seconds())


WarningKind = Literal["skipped", "unparseable", "unmatched", "overlap", "cap", "cell", "note"]
"""``skipped``: a row or record was left out (the text says which and why);
``cell``: a roster cell could not be used as written; the row stays, with a default;
``unparseable``: the source's data could not be read at all past some point;
``unmatched``: a record names nobody on the roster (``who`` says what it named);
``overlap``: two time entries cover the same time (counted once);
``cap``: a limit was hit (pages, bytes, requests), so data may be missing;
``note``: anything else worth the owner's eye (a value read in a guessed way)."""

MAX_WARNINGS = 50
"""Warnings kept per source (the latest poll's); the rest are only counted."""


@dataclass(frozen=True, slots=True)
class SourceWarning:
    """One thing a source could not use or count as given, in words for the owner.

    ``text`` is one line that says where ("line 5: timezone 'Asia/Manilla'
    unknown; row skipped"); the source's name is added when shown. ``who`` is
    the address or tracker user name an ``unmatched`` warning is about, so the
    owner can add it as an alias.
    """

    kind: WarningKind
    text: str
    who: str = ""

    def __str__(self) -> str:
        return self.text

    def __contains__(self, part: str) -> bool:
        """``"line 4" in warning`` reads as it did when warnings were plain strings."""
        return part in self.text

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "text": self.text}
        if self.who:
            out["who"] = self.who
        return out

    @classmethod
    def from_json(cls, value: object) -> SourceWarning | None:
        """Read back ``to_json`` (or a plain string, as older caches hold); None if neither."""
        if isinstance(value, str):
            return cls("note", value)
        if not isinstance(value, dict):
            return None
        kind = _WARNING_KINDS.get(str(value.get("kind")))
        text, who = value.get("text"), value.get("who", "")
        if kind is None or not isinstance(text, str) or not isinstance(who, str):
            return None
        return cls(kind, text, who)


_WARNING_KINDS: dict[str, WarningKind] = {k: k for k in get_args(WarningKind)}


def as_warnings(values: Iterable[object]) -> list[SourceWarning]:
    """``values`` as warnings: a plain string (a third-party source, older code) is a note."""
    return [v if isinstance(v, SourceWarning) else SourceWarning("note", str(v)) for v in values]


def warnings_from_json(value: object) -> list[SourceWarning]:
    """The readable warnings of a stored list (anything else reads as none)."""
    if not isinstance(value, list):
        return []
    found = (SourceWarning.from_json(item) for item in value)
    return [w for w in found if w is not None]


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
    warnings: list[SourceWarning] = field(default_factory=list)
    """Everything this fetch could not use or count as given (see ``SourceWarning``)."""

    def warn(self, text: str, kind: WarningKind = "note", who: str = "") -> None:
        """Add a warning (``result.warn("line 4: no date; row skipped", "skipped")``)."""
        self.warnings.append(SourceWarning(kind, text, who))

    @property
    def record_count(self) -> int:
        return len(self.roster) + len(self.checkins) + len(self.entries)
