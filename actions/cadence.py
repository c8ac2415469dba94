"""Automatic reminders, sent exactly once whoever runs them.

The poll daemon and every open dashboard call ``run_reminders`` after their
polls. Deciding and recording happen under one file lock beside the audit
log, so two processes can never both decide on the same occasion: the first
writes an ``auto_ping`` intent naming the occasion's key, and from then on
every process (this one after a restart too) sees that key as done. Sending
happens after the lock is released; a kill -9 between the intent and the
send leaves an intent without an outcome, which means "maybe sent" and is
never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from farwatch.actions import channels as channels_mod
from farwatch.actions.locking import locked_beside
from farwatch.actions.ping import plan_message
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import (
    AUTO_ACTION,
    CadenceRules,
    Reminder,
    due_reminders,
    opted_out,
    plan_reminders,
)
from farwatch.state.derive import schedule_for
from farwatch.state.engine_api import EngineLike
from farwatch.state.settings import Settings
from farwatch.state.status import WorkerStatus
from farwatch.state.workhours import Schedule

TEMPLATES = {"overdue": "overdue", "shift_start": "shift_start"}


def rules_of(settings: Settings) -> CadenceRules:
    policy = settings.policy
    return CadenceRules(
        enabled=policy.auto_nudge,
        checkin_warn=settings.thresholds.checkin_warn,
        cooldown=policy.nudge_cooldown,
        max_per_day=policy.auto_nudge_max_per_day,
        shift_start=policy.shift_start_reminder,
    )


def _opt_out_cell(extra: dict[str, str]) -> str:
    for title, value in extra.items():
        if "".join(ch for ch in title.casefold() if ch.isalnum()) == "autonudge":
            return value
    return ""


def roster_schedules(engine: EngineLike) -> tuple[dict[str, Schedule], set[str]]:
    """Each roster worker's schedule, and who opted out (``auto_nudge`` column)."""
    schedules: dict[str, Schedule] = {}
    skip: set[str] = set()
    for row in engine.snapshot().all_roster():
        schedules[row.worker_id], _ = schedule_for(row, engine.settings.defaults)
        if opted_out(_opt_out_cell(row.extra)):
            skip.add(row.worker_id)
    return schedules, skip


def upcoming(
    engine: EngineLike, statuses: list[WorkerStatus], now: datetime | None = None
) -> list[Reminder]:
    """Who will be reminded next and when, soonest first (for the dashboard)."""
    rules = rules_of(engine.settings)
    if not rules.enabled:
        return []
    schedules, skip = roster_schedules(engine)
    entries = audit.read_entries(engine.settings.audit_file)
    return plan_reminders(statuses, schedules, entries, rules, now or engine.clock(), skip=skip)


@dataclass(frozen=True, slots=True)
class _Decided:
    reminder: Reminder
    status: WorkerStatus
    intent: AuditEntry
    subject: str
    body: str


def run_reminders(
    engine: EngineLike, statuses: list[WorkerStatus] | None = None
) -> list[AuditEntry]:
    """Send the automatic reminders due now; returns the entries written.

    Never raises for delivery problems (they are recorded); raises OSError
    only when the audit log cannot be written, and then sends nothing.
    """
    settings = engine.settings
    rules = rules_of(settings)
    if not rules.enabled:
        return []
    rows = statuses if statuses is not None else engine.statuses()
    by_id = {s.id: s for s in rows}
    schedules, skip = roster_schedules(engine)
    path = settings.audit_file
    decided: list[_Decided] = []
    with locked_beside(path, "cadence"):
        now = engine.clock()
        entries = audit.read_entries(path)
        for reminder in due_reminders(
            plan_reminders(rows, schedules, entries, rules, now, skip=skip), now
        ):
            status = by_id[reminder.worker]
            plan = plan_message(settings, engine.clock, status, TEMPLATES[reminder.kind])
            where = ", ".join(c.label for c in plan.usable_channels) or "no channel"
            intent = audit.append(
                path,
                AuditEntry(
                    action=AUTO_ACTION,
                    worker=status.id,
                    outcome=audit.INTENT,
                    message=f"{plan.subject}\n\n{plan.body}",
                    detail=f"{reminder.key} automatic: {reminder.describe()} by {where}",
                    time=now,
                ),
            )
            decided.append(_Decided(reminder, status, intent, plan.subject, plan.body))
    written: list[AuditEntry] = [d.intent for d in decided]
    for d in decided:
        written.extend(_deliver(engine, d))
    return written


def _deliver(engine: EngineLike, decided: _Decided) -> list[AuditEntry]:
    settings = engine.settings
    plan = plan_message(settings, engine.clock, decided.status, TEMPLATES[decided.reminder.kind])
    out: list[AuditEntry] = []
    usable = plan.usable_channels
    if not usable:
        problems = "; ".join(f"{c.kind}: {c.problem}" for c in plan.channels if c.problem)
        out.append(
            audit.append(
                settings.audit_file,
                AuditEntry(
                    action=AUTO_ACTION,
                    worker=decided.status.id,
                    outcome="failed",
                    detail=problems or "no way to reach this worker",
                    intent_id=decided.intent.id,
                    time=engine.clock(),
                ),
            )
        )
        return out
    for channel in usable:
        result = channels_mod.send(channel, decided.subject, decided.body, settings.nudge)
        out.append(
            audit.append(
                settings.audit_file,
                AuditEntry(
                    action=AUTO_ACTION,
                    worker=decided.status.id,
                    channel=channel.kind,
                    outcome="sent" if result.ok else "failed",
                    detail=f"to {channel.target}" if result.ok else result.error,
                    intent_id=decided.intent.id,
                    time=engine.clock(),
                ),
            )
        )
    return out
