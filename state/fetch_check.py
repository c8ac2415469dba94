"""Every record a fetch returns is checked before it reaches the cache.

Sources validate their own rows, but a plugin, a tracker answer or a mail
header can still hand over a record farwatch cannot compute with: a time in
year 9999, a naive datetime, an entry that ends before it starts, a duration
that is not a number. One such record must cost that record, not the whole
fetch (``Cache.apply`` refuses a result it cannot store), so each is dropped
here with a warning naming the source's key and the field.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from farwatch.sources.model import (
    CheckIn,
    FetchResult,
    RosterRow,
    SourceWarning,
    TimeEntry,
    out_of_range_text,
    time_in_range,
)


def drop_unusable(result: FetchResult) -> FetchResult:
    """``result`` without the records farwatch cannot store or compute with (in place)."""
    problems: list[SourceWarning] = []
    result.roster = [r for r in result.roster if _keep(_roster_problem(r), r, problems)]
    result.checkins = [c for c in result.checkins if _keep(_checkin_problem(c), c, problems)]
    result.entries = [e for e in result.entries if _keep(_entry_problem(e), e, problems)]
    result.warnings.extend(problems)
    return result


FUTURE_TOLERANCE = timedelta(minutes=10)
"""How far ahead of ``now`` a record may be stamped and still count: a mail
server's clock running a little fast is common. Derive leaves later records out
(evaluated as of an earlier ``now``, they had not happened yet), and a poll
warns about them (a clock is wrong somewhere)."""


def warn_future(result: FetchResult, now: datetime) -> FetchResult:
    """Warn about records stamped after ``now`` (in place); they are kept.

    The status model counts a record only once its time has come, so a timer
    that "starts" next year (a wrong clock on the tracker's side or this
    machine's) would otherwise be invisible without a word.
    """
    horizon = now + FUTURE_TOLERANCE
    early: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for entry in result.entries:
        if entry.day is None and entry.start > horizon:
            early.setdefault(("time entry", "time entries"), []).append((entry.start, entry.key))
    for item in result.checkins:
        if item.at > horizon:
            early.setdefault(("check-in", "check-ins"), []).append((item.at, item.key))
    for (one, many), found in early.items():
        at, key = min(found)
        what = one if len(found) == 1 else many
        shown = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result.warnings.append(
            SourceWarning(
                "note",
                f"{len(found)} {what} stamped later than now (e.g. {str(key)[:60]!r} at "
                f"{shown}); not counted until then: is a clock wrong?",
            )
        )
    return result


def _keep(
    problem: str | None, record: RosterRow | CheckIn | TimeEntry, out: list[SourceWarning]
) -> bool:
    if problem is None:
        return True
    kind = type(record).__name__
    key = record.worker_id if isinstance(record, RosterRow) else record.key
    out.append(SourceWarning("skipped", f"{kind} {str(key)[:60]!r}: {problem}; record skipped"))
    return False


def _time_problem(field: str, value: object) -> str | None:
    if not isinstance(value, datetime):
        return f"{field} is {type(value).__name__}, not a time"
    if value.tzinfo is None or value.utcoffset() is None:
        return f"{field} has no timezone"
    if not time_in_range(value):
        return f"{field} {out_of_range_text(value.isoformat())}"
    return None


def _text_problem(**fields: object) -> str | None:
    for name, value in fields.items():
        if not isinstance(value, str):
            return f"{name} is {type(value).__name__}, not text"
    return None


def _roster_problem(row: RosterRow) -> str | None:
    problem = _text_problem(worker_id=row.worker_id, name=row.name, email=row.email)
    if problem is None and not row.worker_id:
        problem = "no id"
    for name in ("cap_hours", "rate"):
        value = getattr(row, name)
        if problem is None and value is not None and not _finite(value):
            problem = f"{name} is not a number"
    return problem


def _checkin_problem(item: CheckIn) -> str | None:
    return _text_problem(key=item.key, who=item.who, subject=item.subject) or _time_problem(
        "at", item.at
    )


def _entry_problem(item: TimeEntry) -> str | None:
    problem = _text_problem(key=item.key, who=item.who, task=item.task, who_name=item.who_name)
    problem = problem or _time_problem("start", item.start)
    if problem is None and item.end is not None:
        problem = _time_problem("end", item.end)
        if problem is None and item.end < item.start:
            problem = "end is before start"
    if problem is None and not (_finite(item.accrued_seconds) and item.accrued_seconds >= 0):
        problem = "accrued_seconds is not a number of seconds"
    return problem


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
