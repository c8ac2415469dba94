"""The ``timesheet`` source: a CSV time log (an export from any tracker, or hand-kept).

Columns (any order, case-insensitive): ``worker`` (email or roster id),
``start``, ``end`` (ISO 8601 with an offset or ``Z``; empty while the timer
runs), ``task``, and an optional ``id``. The file is the whole truth, so every
fetch reports all its entries as complete (entries gone from the file are
gone from the cache) and its open rows as every running timer. A bad row is
reported with its line and skipped; it never costs the rest of the log.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.csvroster import csv_records, sniff_delimiter
from farwatch.sources.filestamp import decode_text, read_if_changed
from farwatch.sources.model import (
    MAX_WARNINGS,
    Cursor,
    FetchResult,
    SourceWarning,
    TimeEntry,
    out_of_range_text,
    time_in_range,
    warnings_from_json,
)
from farwatch.sources.text import strip_control

ALL_TIME = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))
"""The window the file is complete over: it is the whole log."""
MAX_TEXT = 300

_HEADERS = {
    "worker": "worker",
    "who": "worker",
    "email": "worker",
    "user": "worker",
    "worker_id": "worker",
    "start": "start",
    "started": "start",
    "start_time": "start",
    "begin": "start",
    "from": "start",
    "end": "end",
    "stop": "end",
    "stopped": "end",
    "end_time": "end",
    "finish": "end",
    "to": "end",
    "task": "task",
    "description": "task",
    "project": "task",
    "id": "id",
    "entry_id": "id",
}


class TimesheetSource(Source):
    """Time entries from a CSV time log."""

    type_name: ClassVar[str] = "timesheet"
    description: ClassVar[str] = "time entries from a CSV time log (worker, start, end, task)"
    default_interval: ClassVar[float] = 30.0
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "path", required=True, help="the CSV time log"),
        Option(
            "timezone",
            "str",
            default="",
            help="IANA zone for times written without an offset (default: such rows are errors)",
        ),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.path = str(self.config.get("path") or "").strip()
        zone = str(self.config.get("timezone") or "").strip()
        self.zone: tzinfo | None = None
        self._bad_zone = ""
        if zone:
            try:
                self.zone = ZoneInfo(zone)
            except (ValueError, OSError, KeyError):
                self._bad_zone = zone

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        """Read the log if it changed.

        Raises:
            SourceError: config (no path, bad timezone), file (missing file),
                content (no header, or no worker/start column).
        """
        if not self.path:
            raise SourceError(
                f"{self.name}: no path configured (the CSV time log)",
                title="bad config",
                kind="config",
                retryable=False,
            )
        if self._bad_zone:
            raise SourceError(
                f"{self.name}: timezone {self._bad_zone!r} is not an IANA timezone",
                title="bad config",
                kind="config",
                retryable=False,
            )
        path = Path(os.path.expanduser(self.path))
        got = read_if_changed(path, cursor, now, what="time log", source=self.name)
        if got.data is None:
            kept = cursor.get("warnings")
            return FetchResult(
                cursor={**got.stamp, "warnings": kept if isinstance(kept, list) else []},
                unchanged=True,
                warnings=warnings_from_json(kept),
            )
        text, warning = decode_text(got.data)
        entries, warnings = parse_timesheet(text, zone=self.zone, source=f"{self.name}: {path}")
        warnings = ([SourceWarning("note", warning)] if warning else []) + warnings
        return FetchResult(
            entries=entries,
            cursor={**got.stamp, "warnings": [w.to_json() for w in warnings[:MAX_WARNINGS]]},
            entries_complete=True,
            entries_window=ALL_TIME,
            running_complete=True,
            warnings=warnings,
        )


def parse_time(text: str, zone: tzinfo | None = None) -> datetime:
    """ISO 8601 with an offset or ``Z`` (a space instead of ``T`` is fine), as UTC.

    Raises:
        ValueError: not a date-time, or no offset and no ``zone`` to assume.
    """
    value = text.strip()
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        if zone is None:
            raise ValueError("no UTC offset")
        when = when.replace(tzinfo=zone)
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        raise ValueError(out_of_range_text(text)) from None
    if not time_in_range(when):
        raise ValueError(out_of_range_text(text))
    return when


def parse_timesheet(
    text: str, *, zone: tzinfo | None = None, source: str = "time log"
) -> tuple[list[TimeEntry], list[SourceWarning]]:
    """Entries and per-row warnings ("line N: …") from time-log CSV text.

    Raises:
        SourceError: parse — no header, or no ``worker``/``start`` column.
    """
    text = text.removeprefix("\ufeff")
    header: list[str] | None = None
    entries: list[TimeEntry] = []
    warnings: list[SourceWarning] = []
    keys: dict[str, int] = {}
    running: dict[str, int] = {}
    for line, cells in csv_records(text, warnings, sniff_delimiter(text)):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [_HEADERS.get(_norm(c), _norm(c)) for c in cells]
            missing = [c for c in ("worker", "start") if c not in header]
            if missing:
                raise SourceError(
                    f"{source} has no {' or '.join(missing)} column on line {line} "
                    "(expected worker, start, end, task)",
                    title="not a time log",
                    kind="content",
                )
            continue
        row = {h: cells[i].strip() for i, h in enumerate(header) if i < len(cells) and h}
        entry = _entry(row, line, zone, warnings)
        if entry is None:
            continue
        if entry.key in keys:
            warnings.append(
                SourceWarning(
                    "skipped",
                    f"line {line}: same entry as line {keys[entry.key]} "
                    "(same id, or same worker and start); row skipped",
                )
            )
            continue
        keys[entry.key] = line
        if entry.end is None:
            if entry.who in running:
                warnings.append(
                    SourceWarning(
                        "overlap",
                        f"line {line}: {entry.who} already has a running entry on line "
                        f"{running[entry.who]}",
                    )
                )
            running.setdefault(entry.who, line)
        entries.append(entry)
    if header is None:
        raise SourceError(
            f"{source} is empty (no header row)", title="not a time log", kind="content"
        )
    return entries, warnings


def _norm(cell: str) -> str:
    return "_".join(cell.strip().lower().replace("-", " ").split())


def _entry(
    row: dict[str, str], line: int, zone: tzinfo | None, warnings: list[SourceWarning]
) -> TimeEntry | None:
    problems: list[str] = []
    who = _clean(row.get("worker", ""))
    if not who:
        problems.append("no worker")
    who = who.lower() if "@" in who else who
    start = _time(row.get("start", ""), "start", zone, problems, required=True)
    end = _time(row.get("end", ""), "end", zone, problems, required=False)
    if start is not None and end is not None and end < start:
        problems.append("end is before start")
    if problems or start is None:
        warnings.append(
            SourceWarning("skipped", f"line {line}: {'; '.join(problems)}; row skipped")
        )
        return None
    ident = _clean(row.get("id", ""))
    key = (
        "ts:" + ident
        if ident
        else "ts-" + hashlib.sha256(f"{who.lower()}|{start.isoformat()}".encode()).hexdigest()[:20]
    )
    return TimeEntry(key=key, who=who, start=start, end=end, task=_clean(row.get("task", "")))


def _time(
    text: str, column: str, zone: tzinfo | None, problems: list[str], *, required: bool
) -> datetime | None:
    if not text:
        if required:
            problems.append(f"no {column}")
        return None
    try:
        return parse_time(text, zone)
    except ValueError as exc:
        shown = repr(text[:40])
        if str(exc) == "no UTC offset":
            problems.append(f"{column} {shown} has no UTC offset (add Z or +hh:mm)")
        elif "outside the years" in str(exc):
            problems.append(f"{column} {exc}")
        else:
            problems.append(f"{column} {shown} is not an ISO 8601 date-time")
        return None


def _clean(text: str) -> str:
    """One line: whole escape sequences and control characters go, spaces collapse."""
    return " ".join(strip_control(text).split())[:MAX_TEXT]
