"""Worked time as a union of intervals: every second a worker worked counts once.

One hour logged in a tracker and again in a time log, or exported twice, is
one hour of work. Hours, burn, ``cap_eta``, auto-pause and pay all read a
``WorkedTime``, never a sum of entry durations, so they cannot disagree.

``worked_time`` takes one worker's entries from any number of sources and
returns the disjoint spans they cover, the entries that remain once exact
duplicates (same start and end) are folded into one, and every overlap found,
each naming the two entries involved so a warning can point at both.

``accrued_seconds`` (time an entry had before its timer started; when exactly
is unknown) cannot be placed on the clock, so it is added on top of the union,
once per distinct entry, for entries starting inside the window asked about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from farwatch.sources.model import TimeEntry


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of worked wall-clock time, ``start`` < ``end``."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two entries covering the same time; ``later`` was counted only outside it.

    ``duplicate`` means the two have the same start and end, so ``later`` was
    not counted at all.
    """

    earlier: TimeEntry
    later: TimeEntry
    start: datetime
    end: datetime
    duplicate: bool

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class WorkedTime:
    """One worker's time, counted once."""

    spans: tuple[Span, ...]
    """Disjoint, sorted by start, none empty."""
    entries: tuple[TimeEntry, ...]
    """Distinct entries (an exact duplicate kept once), sorted by start."""
    overlaps: tuple[Overlap, ...]
    """In order of the later entry's start."""

    def seconds(self, start: datetime | None = None, end: datetime | None = None) -> float:
        """Worked seconds within [start, end) (open sides unbounded), accrued time included."""
        total = 0.0
        for span in self.spans:
            lo = span.start if start is None or span.start > start else start
            hi = span.end if end is None or span.end < end else end
            if hi > lo:
                total += (hi - lo).total_seconds()
        for entry in self.entries:
            if (
                entry.accrued_seconds > 0
                and (start is None or entry.start >= start)
                and (end is None or entry.start < end)
            ):
                total += entry.accrued_seconds
        return total

    def earliest(self, start: datetime | None = None) -> datetime | None:
        """When counted work first began at or after ``start`` (clipped to it)."""
        for span in self.spans:
            if start is None or span.end > start:
                return span.start if start is None or span.start > start else start
        return None


def worked_time(entries: Iterable[TimeEntry], now: datetime) -> WorkedTime:
    """The union of ``entries`` as of ``now`` (running entries end at ``now``).

    Entries that start after ``now`` or cover no time still count as entries
    (for their accrued time) but add no span. O(n log n) in the entries.
    """
    distinct: dict[tuple[datetime, datetime | None, float], TimeEntry] = {}
    overlaps: list[Overlap] = []
    ordered = sorted(entries, key=lambda e: (e.start, _stop(e, now), e.key))
    for entry in ordered:
        identity = (entry.start, entry.end, entry.accrued_seconds)
        first = distinct.get(identity)
        if first is not None:
            stop = _stop(entry, now)
            if stop > entry.start:
                overlaps.append(Overlap(first, entry, entry.start, stop, duplicate=True))
            continue
        distinct[identity] = entry
    spans: list[Span] = []
    reach: TimeEntry | None = None
    reach_end: datetime | None = None
    for entry in distinct.values():
        stop = _stop(entry, now)
        if stop <= entry.start:
            continue
        if reach is not None and reach_end is not None and entry.start < reach_end:
            overlap_end = stop if stop < reach_end else reach_end
            overlaps.append(Overlap(reach, entry, entry.start, overlap_end, duplicate=False))
            if stop > reach_end:
                spans[-1] = Span(spans[-1].start, stop)
                reach, reach_end = entry, stop
            continue
        spans.append(Span(entry.start, stop))
        reach, reach_end = entry, stop
    overlaps.sort(key=lambda o: (o.later.start, o.later.key))
    return WorkedTime(tuple(spans), tuple(distinct.values()), tuple(overlaps))


def _stop(entry: TimeEntry, now: datetime) -> datetime:
    stop = entry.end if entry.end is not None else now
    return stop if stop < now else now
