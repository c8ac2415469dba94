"""Warnings that come from the cached records as a whole, not from one fetch.

A sender nobody on the roster has, or the same hour logged in two sources,
only shows once the records meet the roster. These are worked out when a
source's health is read (``status``, ``check``, the dashboard), so a roster
change or a new alias clears them at once, and are shown beside the fetch's
own warnings in the same ``SourceWarning`` form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from farwatch.sources.model import MAX_WARNINGS, SourceWarning, TimeEntry
from farwatch.state.intervals import Overlap, worked_time
from farwatch.state.matching import WorkerIndex
from farwatch.state.snapshot import CacheSnapshot, SourceHealth


@dataclass(slots=True)
class DataWarnings:
    """One source's record-level findings."""

    unmatched: int = 0
    unmatched_who: list[str] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)


def data_warnings(
    snapshot: CacheSnapshot, now: datetime, index: WorkerIndex | None = None
) -> dict[str, DataWarnings]:
    """Per source: records matching nobody (with the names they gave) and overlaps."""
    index = index or WorkerIndex.build(snapshot.all_roster())
    found = {
        name: DataWarnings()
        for name in [*snapshot.health, *snapshot.roster, *snapshot.checkins, *snapshot.entries]
    }
    by_worker: dict[str, list[TimeEntry]] = {}
    source_of: dict[int, str] = {}
    summary = snapshot.checkin_summary
    if summary is not None:  # the same counts and names, without reading every check-in
        for source, senders in summary.items():
            here = found[source]
            for sender in senders:
                if index.match(sender.who) is None:
                    here.unmatched += sender.count
                    here.unmatched_who.append(sender.who)
    for groups in (snapshot.checkins if summary is None else {}, snapshot.entries):
        for source, rows in groups.items():
            seen: set[str] = set()
            here = found[source]
            for record in rows:
                worker_id = index.match(record.who)
                if worker_id is None:
                    here.unmatched += 1
                    if record.who not in seen:
                        seen.add(record.who)
                        here.unmatched_who.append(record.who)
                elif isinstance(record, TimeEntry):
                    by_worker.setdefault(worker_id, []).append(record)
                    source_of[id(record)] = source
    for here in found.values():
        for who in here.unmatched_who[:MAX_WARNINGS]:
            shown = who or "(no sender)"
            here.warnings.append(
                SourceWarning(
                    "unmatched",
                    f"{shown!r} matches nobody on the roster (add it as an alias or email)",
                    who=who,
                )
            )
    now = now.astimezone(UTC)
    for entries in by_worker.values():
        for overlap in worked_time(entries, now).overlaps:
            bucket = found[source_of[id(overlap.later)]].warnings
            if len(bucket) < 2 * MAX_WARNINGS:
                bucket.append(_overlap_warning(overlap, source_of))
    return found


def with_data_warnings(health: SourceHealth, data: DataWarnings | None) -> SourceHealth:
    """``health`` with the derived counts and warnings added (at most ``MAX_WARNINGS``)."""
    if data is None:
        return health
    health.unmatched = data.unmatched
    health.unmatched_who = list(data.unmatched_who)
    stored = max(health.warnings_total, len(health.warnings))
    health.warnings = [*health.warnings, *data.warnings][:MAX_WARNINGS]
    health.warnings_total = stored + len(data.warnings)
    return health


def _overlap_warning(overlap: Overlap, source_of: dict[int, str]) -> SourceWarning:
    later, earlier = overlap.later, overlap.earlier
    minutes = round(overlap.seconds / 60)
    if overlap.duplicate:
        what = f"is the same time as {_entry_name(earlier, source_of)}; counted once"
    else:
        what = f"overlaps {_entry_name(earlier, source_of)} by {minutes} min; counted once"
    return SourceWarning("overlap", f"{later.who}: {_entry_name(later, source_of)} {what}")


def _entry_name(entry: TimeEntry, source_of: dict[int, str]) -> str:
    end = f"{entry.end:%H:%M}" if entry.end is not None else "running"
    return (
        f"{source_of.get(id(entry), '?')} entry {entry.key[:40]!r} "
        f"({entry.start:%Y-%m-%d %H:%M}-{end} UTC)"
    )
