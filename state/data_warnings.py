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

from farwatch.sources.model import MAX_WARNINGS, CheckIn, RosterRow, SourceWarning, TimeEntry
from farwatch.state.intervals import Overlap
from farwatch.state.matching import WorkerIndex
from farwatch.state.roster_checks import roster_warnings
from farwatch.state.settings import WorkerDefaults
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.text import strip_control
from farwatch.state.worked_memo import shared_memo


@dataclass(slots=True)
class DataWarnings:
    """One source's record-level findings."""

    unmatched: int = 0
    unmatched_who: list[str] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)


def data_warnings(
    snapshot: CacheSnapshot,
    now: datetime,
    index: WorkerIndex | None = None,
    defaults: WorkerDefaults | None = None,
) -> dict[str, DataWarnings]:
    """Per source: records matching nobody (with the names they gave), overlaps, and
    roster cells that could not be used as written (judged against ``defaults``)."""
    index = index or WorkerIndex.of(snapshot.all_roster())
    found = {
        name: DataWarnings()
        for name in [*snapshot.health, *snapshot.roster, *snapshot.checkins, *snapshot.entries]
    }
    for source, roster in snapshot.roster.items():
        found[source].warnings.extend(_roster_memo.warnings(source, roster, defaults))
    by_worker: dict[str, list[TimeEntry]] = {}
    source_of: dict[int, str] = {}
    # source -> unmatched identity -> what tells the owner who it is: a tracker's
    # display name, or the subject of a check-in mail
    names: dict[str, dict[str, _Stranger]] = {}
    summary = snapshot.checkin_summary
    if summary is not None:  # the same counts and names, without reading every check-in
        for source, senders in summary.items():
            here, seen = found[source], names.setdefault(source, {})
            for sender in senders:
                if index.match(sender.who) is None:
                    here.unmatched += sender.count
                    here.unmatched_who.append(sender.who)
                    seen[sender.who] = _Stranger(mail=True, subject=_shown(sender.first_subject))
    for groups in (snapshot.checkins if summary is None else {}, snapshot.entries):
        for source, rows in groups.items():
            here, seen = found[source], names.setdefault(source, {})
            for record in rows:
                worker_id = index.match(record.who)
                if worker_id is None:
                    here.unmatched += 1
                    if record.who not in seen:
                        here.unmatched_who.append(record.who)
                        seen[record.who] = _Stranger()
                    seen[record.who].learn(record)
                elif isinstance(record, TimeEntry):
                    by_worker.setdefault(worker_id, []).append(record)
                    source_of[id(record)] = source
    for source, here in found.items():
        seen = names.get(source, {})
        here.warnings.extend(
            seen.get(who, _Stranger()).warning(who) for who in here.unmatched_who[:MAX_WARNINGS]
        )
    now = now.astimezone(UTC)
    for worker_id, entries in by_worker.items():
        for overlap in shared_memo.worked_time(("overlaps", worker_id), entries, now).overlaps:
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


_KeptRoster = tuple[tuple[RosterRow, ...], WorkerDefaults, list[SourceWarning]]
"""The rows, the defaults they were judged by, and what was found."""


class _RosterMemo:
    """Each roster source's cell warnings, kept while its rows are the same rows
    (the dashboard reads the health of every source once a minute)."""

    def __init__(self) -> None:
        self._kept: dict[str, _KeptRoster] = {}

    def warnings(
        self, source: str, rows: list[RosterRow], defaults: WorkerDefaults | None
    ) -> list[SourceWarning]:
        wanted, judged_by = tuple(rows), defaults or WorkerDefaults()
        kept = self._kept.get(source)
        if kept is None or kept[1] != judged_by or kept[0] != wanted:
            kept = self._kept[source] = (wanted, judged_by, roster_warnings(wanted, judged_by))
        return list(kept[2])


_roster_memo = _RosterMemo()


@dataclass(slots=True)
class _Stranger:
    """What the records of an identity nobody on the roster has say about it."""

    name: str = ""
    """The tracker's display name for a tracker user."""
    subject: str = ""
    """The subject of the first check-in mail it sent."""
    mail: bool = False

    def learn(self, record: CheckIn | TimeEntry) -> None:
        if isinstance(record, CheckIn):
            self.mail = True
            self.subject = self.subject or _shown(record.subject)
        else:
            self.name = self.name or record.who_name

    def warning(self, who: str) -> SourceWarning:
        if self.name:
            fix = "their email or an alias" if "@" in who else "their tracker_id"
            text = (
                f"{self.name!r} ({who}) is not on the roster; their time is not counted "
                f"(add a row for them, or {who} as {fix})"
            )
        elif self.mail:
            about = f" ({self.subject!r})" if self.subject else ""
            text = (
                f"mail from {who or '(no sender)'!r}{about} matches nobody on the roster and "
                "is not counted; if a worker sent it, add the address as their email or an alias"
            )
        else:
            shown = who or "(no sender)"
            text = f"{shown!r} matches nobody on the roster (add it as an alias or email)"
        return SourceWarning("unmatched", text, who=who)


def _shown(subject: str) -> str:
    return strip_control(subject).strip()[:60]


def subject_names(subject: str) -> bool:
    """True when ``subject`` says something once cleaned (the first such one is shown)."""
    return bool(_shown(subject))


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
