"""The reminder decision on its own: statuses, schedules, the log and one instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import CadenceRules, due_reminders, opted_out, plan_reminders
from farwatch.state.workhours import Schedule
from tests.servers.nudge_kit import status

MON_9 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC
SCHEDULE = {"ana": Schedule.parse("UTC", "09:00-17:00", "Mon-Fri")}
RULES = CadenceRules(enabled=True, checkin_warn=2 * 3600, cooldown=30 * 60, max_per_day=2)


def plans(
    now: datetime, entries: list[AuditEntry] | None = None, **kw: object
) -> list[tuple[str, datetime]]:
    worker = status(id="ana", last_checkin=MON_9, **kw)
    found = plan_reminders([worker], SCHEDULE, entries or [], RULES, now)
    return [(r.kind, r.due) for r in found]


def sent(at: datetime, key: str, action: str = "auto_ping", outcome: str = "intent") -> AuditEntry:
    return AuditEntry(action, worker="ana", outcome=outcome, detail=f"{key} automatic", time=at)


def test_due_two_working_hours_after_the_check_in() -> None:
    assert plans(MON_9) == [("overdue", MON_9 + timedelta(hours=2))]


def test_a_paused_worker_is_never_reminded() -> None:
    assert plans(MON_9 + timedelta(hours=3), paused=True) == []


def test_a_reminder_that_may_have_gone_out_is_never_planned_again() -> None:
    key = f"overdue:ana:{MON_9.isoformat()}"
    maybe_sent = [sent(MON_9 + timedelta(hours=2), key)]  # intent, no outcome
    assert plans(MON_9 + timedelta(hours=3), maybe_sent) == []


def test_a_manual_ping_holds_the_automatic_one_for_the_cooldown() -> None:
    ping = AuditEntry(
        "ping", worker="ana", outcome="intent", time=MON_9 + timedelta(hours=1, minutes=50)
    )
    assert plans(MON_9, [ping]) == [("overdue", MON_9 + timedelta(hours=2, minutes=20))]


def test_due_off_hours_waits_for_the_next_working_morning() -> None:
    late = MON_9 + timedelta(hours=7)  # 16:00: only one working hour left today
    worker = status(id="ana", last_checkin=late)
    found = plan_reminders([worker], SCHEDULE, [], RULES, late)
    assert [(r.kind, r.due) for r in found] == [("overdue", MON_9 + timedelta(days=1, hours=1))]
    assert due_reminders(found, MON_9 + timedelta(hours=12)) == []


def test_the_daily_cap_moves_the_next_one_to_tomorrow() -> None:
    today = [sent(MON_9 + timedelta(minutes=n), f"x{n}") for n in (1, 2)]
    assert plans(MON_9, today) == [("overdue", MON_9 + timedelta(days=1))]


def test_disabled_plans_nothing() -> None:
    worker = status(id="ana", last_checkin=MON_9)
    assert plan_reminders([worker], SCHEDULE, [], CadenceRules(), MON_9 + timedelta(hours=5)) == []


@pytest.mark.parametrize(
    ("cell", "off"), [("no", True), ("Off", True), ("false", True), ("", False), ("yes", False)]
)
def test_the_roster_column_turns_reminders_off(cell: str, off: bool) -> None:
    assert opted_out(cell) is off
