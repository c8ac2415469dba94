"""The ``farwatch status --json`` document: a stable interface for scripts.

Version 1. Fields are only ever added within a version; renaming or removing
one, or changing its meaning, bumps ``version``. Shape::

    {"version": 1,
     "generated_at": "2025-03-03T09:30:00Z",      # the instant evaluated (UTC)
     "summary": {"workers": 10, "stale": 2, "over_cap": 1, "paused": 1, "running": 4},
     "workers": [ {...one object per worker, see worker_json...} ],
     "sources": [ {...one object per configured source, see source_json...} ]}

Conventions: instants are ISO 8601 in UTC with a ``Z`` (``local_time`` alone
carries the worker's own offset); durations are whole seconds; hours are
decimal hours rounded to 0.01; an unknown value is ``null``, never missing.
Free text from sources (names, tasks, subjects, errors) has control, bidi and
zero-width characters removed, so printing the JSON cannot drive a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from farwatch.state.cadence import Reminder
from farwatch.state.snapshot import SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.state.text import strip_control

REPORT_VERSION = 1


def iso_utc(at: datetime | None) -> str | None:
    """``2025-03-03T09:30:00Z`` (seconds precision), or None."""
    if at is None:
        return None
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def worker_json(s: WorkerStatus, reminder: Reminder | None = None) -> dict[str, Any]:
    """One worker. The first twenty fields are the contract of issue 2.

    ``next_reminder`` is the automatic reminder that will go to them next
    (``{"at", "kind"}``, kind ``overdue`` or ``shift_start``), the same one the
    dashboard's header names; null when none is planned or reminders are off.
    """
    return {
        "id": strip_control(s.id),
        "name": strip_control(s.name),
        "email": strip_control(s.email),
        "category": strip_control(s.category),
        "timezone": s.timezone,
        "local_time": s.local_time.replace(microsecond=0).isoformat(),
        "task": strip_control(s.task),
        "running": s.running,
        "paused": s.paused,
        "last_checkin": iso_utc(s.last_checkin),
        "checkin_age_seconds": _seconds(s.checkin_age),
        "checkin_work_age_seconds": _seconds(s.checkin_work_age),
        "checkin_level": s.checkin_level,
        "hours_used": round(s.hours_used, 2),
        "cap_hours": _round(s.cap_hours, 2),
        "cap_period": s.cap_period,
        "burn": _round(s.burn, 4),
        "burn_level": s.burn_level,
        "cap_eta": iso_utc(s.cap_eta),
        "checkins_total": s.checkins_total,
        # extras
        "task_source": s.task_source,
        "working_now": s.working_now,
        "last_checkin_subject": strip_control(s.last_checkin_subject),
        "period_start": iso_utc(s.period_start),
        "stale": s.stale,
        "over_cap": s.over_cap,
        "rate": s.rate,
        "currency": strip_control(s.currency) or None,
        "activity": [round(h, 3) for h in s.activity],
        "problems": [strip_control(p) for p in s.problems],
        "next_reminder": (
            None if reminder is None else {"at": iso_utc(reminder.due), "kind": reminder.kind}
        ),
    }


def source_json(h: SourceHealth, unmatched: int = 0) -> dict[str, Any]:
    """One configured source's health and record counts."""
    return {
        "name": h.name,
        "type": h.type,
        "ok": h.ok,
        "last_success": iso_utc(h.last_success),
        "last_attempt": iso_utc(h.last_attempt),
        "last_error": strip_control(h.last_error) if h.last_error is not None else None,
        "last_error_title": strip_control(h.last_error_title) if h.last_error_title else None,
        "last_error_kind": h.last_error_kind,
        "last_error_at": iso_utc(h.last_error_at),
        "consecutive_failures": h.consecutive_failures,
        "next_poll": iso_utc(h.next_poll),
        "requests": h.requests,
        "records": h.records,
        "last_records": h.last_records,
        "unmatched": unmatched,
        "unmatched_who": [strip_control(who) for who in h.unmatched_who],
        "warnings": [
            {**w.to_json(), "text": strip_control(w.text), "who": strip_control(w.who)}
            for w in h.warnings
        ],
        "warnings_total": max(h.warnings_total, len(h.warnings)),
    }


def status_report(
    statuses: Iterable[WorkerStatus],
    health: Iterable[SourceHealth],
    unmatched: Mapping[str, int],
    generated_at: datetime,
    reminders: Mapping[str, Reminder] | None = None,
) -> dict[str, Any]:
    """The whole document (see the module docstring); ``reminders`` maps worker ids
    to their next automatic reminder."""
    reminders = reminders or {}
    workers = list(statuses)
    return {
        "version": REPORT_VERSION,
        "generated_at": iso_utc(generated_at),
        "summary": {
            "workers": len(workers),
            "stale": sum(1 for w in workers if w.stale),
            "over_cap": sum(1 for w in workers if w.over_cap),
            "paused": sum(1 for w in workers if w.paused),
            "running": sum(1 for w in workers if w.running),
        },
        "workers": [worker_json(w, reminders.get(w.id)) for w in workers],
        "sources": [source_json(h, unmatched.get(h.name, 0)) for h in health],
    }
