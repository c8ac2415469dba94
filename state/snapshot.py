"""What the cache holds, as plain values: the input of ``derive``.

The cache module builds a ``CacheSnapshot``; derive, the CLI and the dashboard
read it. Keeping it free of TinyDB means only one module knows the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from farwatch.sources.model import CheckIn, RosterRow, SourceWarning, TimeEntry

CheckinLists = dict[str, list[CheckIn]]


@dataclass(slots=True)
class SourceHealth:
    """How one source has been doing; persisted in the cache."""

    name: str
    type: str
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    last_error_title: str | None = None
    last_error_kind: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_poll: datetime | None = None
    requests: int = 0
    """Requests made since the cache was created."""
    records: int = 0
    """Records this source has in the cache now."""
    last_records: int = 0
    """Records the last successful fetch returned."""
    warnings: list[SourceWarning] = field(default_factory=list)
    """The latest successful poll's warnings, at most ``MAX_WARNINGS`` of them."""
    warnings_total: int = 0
    """How many warnings that poll had (more than are kept when it hit the bound)."""
    unmatched: int = 0
    """Records of this source that match no roster worker (derived, not stored)."""
    unmatched_who: list[str] = field(default_factory=list)
    """The distinct names those records gave (derived, not stored), so the owner
    can add them as aliases."""

    @property
    def ok(self) -> bool:
        return self.last_success is not None and self.consecutive_failures == 0


@dataclass(frozen=True, slots=True)
class PauseState:
    """A worker the owner (or auto-pause) has paused."""

    worker_id: str
    since: datetime
    reason: str = ""
    actor: str = ""


@dataclass(frozen=True, slots=True)
class SenderSummary:
    """One source's check-ins from one sender: how many, and the newest."""

    who: str
    count: int
    newest: CheckIn
    first_subject: str = ""
    """The subject of the sender's first check-in that has one (the source's
    warnings name a stranger by it)."""


CheckinSummary = dict[str, list[SenderSummary]]
"""Per source (every source with check-ins, even none left), its senders in the
order of their first check-in."""


class LazyCheckins(Mapping[str, list[CheckIn]]):
    """Every check-in by source, read from the cache the first time someone looks.

    Status rows need only each sender's newest check-in and a count (the
    snapshot's ``checkin_summary``); the detail screen's history needs them
    all, and only then pays for reading them. The source names are known up
    front, so listing them costs nothing.
    """

    def __init__(self, sources: list[str], load: Callable[[], CheckinLists]) -> None:
        self._sources = sources
        self._load: Callable[[], CheckinLists] | None = load
        self._loaded: CheckinLists = {}
        self._lock = threading.Lock()

    def _all(self) -> CheckinLists:
        with self._lock:
            if self._load is not None:
                self._loaded, self._load = self._load(), None
            return self._loaded

    def __getitem__(self, source: str) -> list[CheckIn]:
        loaded = self._all()
        if source not in loaded and source in self._sources:
            return []  # the file changed since the summary was read; none left there
        return loaded[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all() if self._load is None else self._sources)

    def __len__(self) -> int:
        return len(self._all() if self._load is None else self._sources)

    def __contains__(self, source: object) -> bool:
        return source in (self._all() if self._load is None else self._sources)


@dataclass(slots=True)
class CacheSnapshot:
    """Everything derive needs, keyed by the source each record came from."""

    roster: dict[str, list[RosterRow]] = field(default_factory=dict)
    checkins: Mapping[str, list[CheckIn]] = field(default_factory=dict)
    checkin_summary: CheckinSummary | None = None
    """Each sender's newest check-in and count, when the cache kept them (status
    rows need no more); None means derive reads ``checkins``. Only set when it
    is exact: no key in two sources, none empty."""
    entries: dict[str, list[TimeEntry]] = field(default_factory=dict)
    health: dict[str, SourceHealth] = field(default_factory=dict)
    paused: dict[str, PauseState] = field(default_factory=dict)

    def all_roster(self) -> list[RosterRow]:
        """Roster rows of every source; a later source wins on the same id."""
        merged: dict[str, RosterRow] = {}
        for rows in self.roster.values():
            for row in rows:
                merged[row.worker_id] = row
        return list(merged.values())
