"""Worked time kept from one judgement to the next while the clock cannot change it.

The dashboard judges every worker once a minute, and for most of them only
the clock moved: the same entries (the same objects, from an unchanged
cache), every one of them ended. ``worked_time`` of entries that have all
ended is the same at every instant after the last start or end among them,
so it is worked out once and given back while the entries are the same.
A worker with a running timer, or whose entries changed, is worked out again.

The entries are compared, not trusted: only the very same entry objects
reuse an answer (it names them), so two caches in one process cannot mix.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from operator import is_

from farwatch.sources.model import TimeEntry
from farwatch.state.intervals import WorkedTime, worked_time

KEPT_LIMIT = 50_000
"""Workers kept at most; past it the memo starts again (a cache swapped for another)."""


@dataclass(frozen=True, slots=True)
class _Kept:
    entries: tuple[TimeEntry, ...]
    settled: datetime
    """From this instant on, ``worked`` no longer changes with ``now``."""
    worked: WorkedTime


class WorkedTimeMemo:
    """``worked_time`` per key (a worker, and what the time is counted for)."""

    def __init__(self, limit: int = KEPT_LIMIT) -> None:
        self._kept: dict[Hashable, _Kept] = {}
        self._limit = limit

    def worked_time(self, key: Hashable, entries: list[TimeEntry], now: datetime) -> WorkedTime:
        """``worked_time(entries, now)``, from the memo when it gives the same answer."""
        wanted = tuple(entries)
        kept = self._kept.get(key)
        if kept is not None and now >= kept.settled and _same_objects(kept.entries, wanted):
            return kept.worked
        worked = worked_time(wanted, now)
        settled = settled_from(wanted)
        if settled is not None and now >= settled:
            if len(self._kept) >= self._limit:
                self._kept.clear()
            self._kept[key] = _Kept(wanted, settled, worked)
        return worked


def _same_objects(kept: tuple[TimeEntry, ...], wanted: tuple[TimeEntry, ...]) -> bool:
    """The very same entry objects: the answer names its entries, and callers tell
    them apart by identity (which source an overlapping entry came from)."""
    return len(kept) == len(wanted) and all(map(is_, kept, wanted))


def settled_from(entries: tuple[TimeEntry, ...]) -> datetime | None:
    """The first instant from which the union of ``entries`` stays as it is
    (None while one of them is still running).

    ``worked_time`` reads ``now`` only to end running entries and to clip
    entries at it, so once ``now`` is past every start and end nothing moves.
    """
    latest: datetime | None = None
    for entry in entries:
        if entry.end is None:
            return None
        stop = entry.end if entry.end > entry.start else entry.start
        if latest is None or stop > latest:
            latest = stop
    return latest


shared_memo = WorkedTimeMemo()
"""The process's memo: each refresh asks about the same workers as the last."""
