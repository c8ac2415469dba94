"""When farwatch reminds a worker by itself: a pure decision over statuses,
schedules, the audit log and one instant.

Two kinds of automatic reminder, each with a *key* that names the occasion:

- ``overdue``: the worker's working age since their last check-in reaches
  ``checkin_warn``. One per stale spell: the key is the last check-in's
  instant, so a new check-in starts a new spell.
- ``shift_start``: ``shift_start_reminder`` after a working stretch begins,
  when the worker has not checked in since it began. One per stretch: the key
  is the stretch's start.

An automatic ``auto_ping`` record in the audit log with a key, whatever its
outcome (sent, failed, or an intent with no outcome: "maybe sent"), means that
occasion is done for good. On top of that: only inside the worker's working
hours, never while paused, never for a worker whose roster row says
``auto_nudge = no``, the ping cooldown (any ping, manual or automatic) and at
most ``max_per_day`` automatic reminders per worker per local day.

Everything is computed from the arguments, so a test can walk a clock minute
by minute; the action layer takes the lock, asks, records and sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from farwatch.state.audit import INTENT, SENT, AuditEntry
from farwatch.state.status import WorkerStatus
from farwatch.state.workhours import Schedule

AUTO_ACTION = "auto_ping"
ReminderKind = Literal["overdue", "shift_start"]
_HORIZON = timedelta(days=8)
SHIFT_START_GRACE = timedelta(hours=1)
_OPT_OUT = frozenset({"no", "n", "false", "off", "0", "never"})


@dataclass(frozen=True, slots=True)
class CadenceRules:
    """The policy keys that drive automatic reminders."""

    enabled: bool = False
    checkin_warn: float = 2 * 3600.0
    cooldown: float = 30 * 60.0
    max_per_day: int = 3
    shift_start: float = 0.0
    """Seconds after a stretch begins; 0 turns the start-of-shift reminder off."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One automatic reminder: to whom, why, and the minute it is due."""

    worker: str
    kind: ReminderKind
    due: datetime
    key: str

    def describe(self) -> str:
        why = "check-in overdue" if self.kind == "overdue" else "start of shift, no check-in yet"
        return f"{why} ({self.key})"


def opted_out(value: str) -> bool:
    """A roster ``auto_nudge`` cell that turns automatic reminders off."""
    return value.strip().casefold() in _OPT_OUT


def reminder_key(entry: AuditEntry) -> str:
    """The occasion an ``auto_ping`` intent was for (its detail's first word)."""
    return entry.detail.split(" ", 1)[0]


def done_keys(entries: Iterable[AuditEntry]) -> set[str]:
    """Occasions that already have an automatic reminder, whatever its outcome."""
    return {reminder_key(e) for e in entries if e.action == AUTO_ACTION and e.outcome == INTENT}


def last_pinged(entries: Iterable[AuditEntry], worker: str) -> datetime | None:
    """Latest ping or automatic reminder that went (or may have gone) out."""
    outcomes: dict[str, set[str]] = {}
    intents: list[AuditEntry] = []
    for e in entries:
        if e.worker != worker or e.action not in ("ping", AUTO_ACTION):
            continue
        if e.outcome == INTENT:
            intents.append(e)
        elif e.intent_id:
            outcomes.setdefault(e.intent_id, set()).add(e.outcome)
    went = [e.time for e in intents if e.id not in outcomes or SENT in outcomes[e.id]]
    return max(went, default=None)


def last_auto(entries: Iterable[AuditEntry], worker: str) -> datetime | None:
    """When the latest automatic reminder to ``worker`` was decided."""
    return max(
        (
            e.time
            for e in entries
            if e.worker == worker and e.action == AUTO_ACTION and e.outcome == INTENT
        ),
        default=None,
    )


def _sent_on_day(
    entries: Sequence[AuditEntry], worker: str, schedule: Schedule, at: datetime
) -> int:
    day = schedule.local(at).date()
    return sum(
        1
        for e in entries
        if e.worker == worker
        and e.action == AUTO_ACTION
        and e.outcome == INTENT
        and schedule.local(e.time).date() == day
    )


def _settle(
    due: datetime,
    *,
    now: datetime,
    schedule: Schedule,
    last: datetime | None,
    rules: CadenceRules,
    entries: Sequence[AuditEntry],
    worker: str,
) -> datetime | None:
    """The first instant at or after ``due`` (and now) that working hours, the
    cooldown and the daily cap all allow; None when there is none in sight."""
    at = max(due, now)  # overdue while farwatch was not running: now
    for _ in range(16):
        moved = False
        if (
            last is not None
            and rules.cooldown > 0
            and at < last + timedelta(seconds=rules.cooldown)
        ):
            at = last + timedelta(seconds=rules.cooldown)
            moved = True
        if not schedule.is_working(at):
            start = schedule.next_start(at)
            if start is None:
                return None
            at, moved = start, True
        if _sent_on_day(entries, worker, schedule, at) >= rules.max_per_day:
            local = schedule.local(at)
            midnight = (local + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            start = schedule.next_start(midnight)
            if start is None:
                return None
            at, moved = start, True
        if not moved:
            return at
    return None


def _overdue(
    status: WorkerStatus, schedule: Schedule, rules: CadenceRules, done: set[str]
) -> tuple[datetime, str] | None:
    if status.last_checkin is None:
        return None  # never checked in: the start-of-shift reminder is for that
    key = f"overdue:{status.id}:{status.last_checkin.isoformat()}"
    if key in done:
        return None
    due = schedule.add_working_seconds(status.last_checkin, rules.checkin_warn)
    return None if due is None else (due, key)


def _shift_start(
    status: WorkerStatus,
    schedule: Schedule,
    rules: CadenceRules,
    done: set[str],
    now: datetime,
    last_auto: datetime | None,
) -> tuple[datetime, str] | None:
    """The next stretch's "good morning"; dropped when the worker checked in,
    was already reminded this stretch, or its minute passed over an hour ago
    (paused, or farwatch was not running): a late "your day has started" helps
    nobody, and the overdue reminder covers the rest."""
    if rules.shift_start <= 0:
        return None
    offset = timedelta(seconds=rules.shift_start)
    since = now - timedelta(days=2)
    for start, end in schedule.intervals(since, now + _HORIZON):
        if start <= since or end <= now:
            continue  # clipped at the window's edge, or over already
        due = start + offset
        if due >= end:
            continue
        key = f"shift_start:{status.id}:{start.isoformat()}"
        checked_in = status.last_checkin is not None and status.last_checkin >= start
        reminded = last_auto is not None and last_auto >= start
        if key in done or checked_in or reminded or now > due + SHIFT_START_GRACE:
            continue
        return due, key
    return None


def plan_reminders(
    statuses: Sequence[WorkerStatus],
    schedules: Mapping[str, Schedule],
    entries: Sequence[AuditEntry],
    rules: CadenceRules,
    now: datetime,
    *,
    skip: Iterable[str] = (),
) -> list[Reminder]:
    """Every worker's next automatic reminder, soonest first (some may be due now).

    ``schedules`` maps worker ids to their schedule; ``skip`` holds workers
    whose roster row opted out. ``entries`` is the audit log (any order).
    """
    if not rules.enabled:
        return []
    done = done_keys(entries)
    skipped = set(skip)
    plans: list[Reminder] = []
    for status in statuses:
        schedule = schedules.get(status.id)
        if schedule is None or status.paused or status.id in skipped:
            continue
        last = last_pinged(entries, status.id)
        candidates: list[tuple[ReminderKind, tuple[datetime, str] | None]] = [
            ("overdue", _overdue(status, schedule, rules, done)),
            (
                "shift_start",
                _shift_start(status, schedule, rules, done, now, last_auto(entries, status.id)),
            ),
        ]
        best: Reminder | None = None
        for kind, found in candidates:
            if found is None:
                continue
            due = _settle(
                found[0],
                now=now,
                schedule=schedule,
                last=last,
                rules=rules,
                entries=entries,
                worker=status.id,
            )
            if due is not None and (best is None or due < best.due):
                best = Reminder(status.id, kind, due, found[1])
        if best is not None:
            plans.append(best)
    return sorted(plans, key=lambda r: (r.due, r.worker))


def due_reminders(plans: Sequence[Reminder], now: datetime) -> list[Reminder]:
    """The reminders whose minute has come."""
    return [r for r in plans if r.due <= now]
