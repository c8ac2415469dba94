"""Observations <-> cache documents (plain JSON values).

Datetimes are stored as ISO 8601 strings with their offset, so an observation
read back compares equal to the one a source returned. Fields a newer farwatch
added are ignored when read by an older one, and missing fields take the
dataclass default, so the file survives small model changes in both directions.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from farwatch.sources.model import CheckIn, RosterRow, TimeEntry, warnings_from_json
from farwatch.state.snapshot import SourceHealth

Doc = dict[str, Any]

_ROSTER_FIELDS = tuple(f.name for f in fields(RosterRow))
_CHECKIN_FIELDS = tuple(f.name for f in fields(CheckIn))
_ENTRY_FIELDS = tuple(f.name for f in fields(TimeEntry))
_HEALTH_FIELDS = tuple(
    f.name for f in fields(SourceHealth) if f.name not in {"unmatched", "unmatched_who"}
)
"""Persisted health fields; ``unmatched`` and ``unmatched_who`` are derived from
the records on read."""
_HEALTH_TIMES = frozenset({"last_success", "last_attempt", "last_error_at", "next_poll"})


def iso(value: datetime) -> str:
    """ISO 8601 of an aware datetime; naive ones are a programming error upstream."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} (all times must be aware, UTC)")
    return value.isoformat()


def iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def parse_time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)  # TypeError on a non-string
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return parsed


def parse_time_or_none(value: Any) -> datetime | None:
    return None if value is None else parse_time(value)


# -- roster ---------------------------------------------------------------


def roster_doc(source: str, row: RosterRow) -> Doc:
    doc: Doc = {"source": source}
    for name in _ROSTER_FIELDS:
        doc[name] = getattr(row, name)
    doc["aliases"] = list(row.aliases)
    doc["extra"] = dict(row.extra)
    return doc


def roster_row(doc: Doc) -> RosterRow:
    values = {k: doc[k] for k in _ROSTER_FIELDS if k in doc}
    values["aliases"] = tuple(values.get("aliases", ()))
    values["extra"] = dict(values.get("extra", {}))
    return RosterRow(**values)


# -- check-ins ------------------------------------------------------------


def checkin_doc(source: str, checkin: CheckIn) -> Doc:
    doc: Doc = {"source": source}
    for name in _CHECKIN_FIELDS:
        doc[name] = getattr(checkin, name)
    doc["at"] = iso(checkin.at)
    return doc


def checkin(doc: Doc) -> CheckIn:
    # Spelled out rather than generic, the time parsed inline: a cache holds
    # ~100,000 of these and this is most of its load time.
    at = datetime.fromisoformat(doc["at"])  # TypeError on a non-string
    if at.tzinfo is None:
        raise ValueError(f"time without an offset: {doc['at']!r}")
    return CheckIn(
        key=doc["key"],
        who=doc["who"],
        at=at,
        subject=doc["subject"],
        first_line=doc.get("first_line", ""),
        kind=doc.get("kind", "checkin"),
        task=doc.get("task", ""),
    )


# -- time entries ---------------------------------------------------------


def entry_doc(source: str, entry: TimeEntry, seen: datetime) -> Doc:
    """``seen`` is when a poll last saw the entry: a vanished running timer ends there."""
    doc: Doc = {"source": source}
    for name in _ENTRY_FIELDS:
        doc[name] = getattr(entry, name)
    doc["start"] = iso(entry.start)
    doc["end"] = iso_or_none(entry.end)
    doc["accrued_seconds"] = float(entry.accrued_seconds)
    doc["day"] = entry.day.isoformat() if entry.day is not None else None
    doc["seen"] = iso(seen)
    return doc


def entry(doc: Doc) -> tuple[TimeEntry, datetime]:
    # Spelled out like ``checkin``: thousands of these are read at every start.
    start = parse_time(doc.get("start"))
    end = parse_time_or_none(doc.get("end"))
    day = doc.get("day")
    seen = doc.get("seen")
    made = TimeEntry(
        key=doc["key"],
        who=doc["who"],
        start=start,
        end=end,
        task=doc.get("task", ""),
        accrued_seconds=doc.get("accrued_seconds", 0.0),
        day=date.fromisoformat(day) if isinstance(day, str) else None,
        who_name=doc.get("who_name", ""),
    )
    return made, (parse_time(seen) if "seen" in doc else end or start)


# -- source health --------------------------------------------------------


def health_doc(health: SourceHealth) -> Doc:
    doc: Doc = {}
    for name in _HEALTH_FIELDS:
        value = getattr(health, name)
        doc[name] = iso_or_none(value) if name in _HEALTH_TIMES else value
    doc["warnings"] = [w.to_json() for w in health.warnings]
    return doc


def health(doc: Doc) -> SourceHealth:
    values = {k: doc[k] for k in _HEALTH_FIELDS if k in doc}
    for name in _HEALTH_TIMES & values.keys():
        values[name] = parse_time_or_none(values[name])
    values["warnings"] = warnings_from_json(values.get("warnings"))
    return SourceHealth(**values)
