"""What the cache holds, as plain values: the input of ``derive``.

The cache module builds a ``CacheSnapshot``; derive, the CLI and the dashboard
read it. Keeping it free of TinyDB means only one module knows the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from farwatch.sources.model import CheckIn, RosterRow, SourceWarning, TimeEntry


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


@dataclass(slots=True)
class CacheSnapshot:
    """Everything derive needs, keyed by the source each record came from."""

    roster: dict[str, list[RosterRow]] = field(default_factory=dict)
    checkins: dict[str, list[CheckIn]] = field(default_factory=dict)
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
