"""``WorkerStatus``: one row of what the owner sees, derived, never stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

CheckinLevel = Literal["ok", "warn", "alert", "off_hours", "never"]
BurnLevel = Literal["ok", "warn", "over", "no_cap"]


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """Everything the dashboard and ``status --json`` show for one worker.

    Ages are in seconds. ``checkin_work_age`` counts only time inside the
    worker's own working hours and days, in their timezone, which is what the
    thresholds are compared against.
    """

    id: str
    name: str
    email: str
    category: str
    timezone: str
    local_time: datetime
    task: str
    task_source: Literal["timer", "checkin", "roster", "none"]
    running: bool
    paused: bool
    working_now: bool
    last_checkin: datetime | None
    last_checkin_subject: str
    checkin_age: float | None
    checkin_work_age: float | None
    checkin_level: CheckinLevel
    hours_used: float
    cap_hours: float | None
    cap_period: str
    period_start: datetime | None
    burn: float | None
    burn_level: BurnLevel
    cap_eta: datetime | None
    checkins_total: int
    im: str = ""
    rate: float | None = None
    currency: str = ""
    activity: tuple[float, ...] = field(default=())
    """Tracked hours per hour over the last 24 h, oldest first (sparkline)."""
    problems: tuple[str, ...] = field(default=())
    """Roster values that could not be used (bad timezone, hours, days, cap period),
    each saying what was used instead; empty when the row is fine."""

    @property
    def stale(self) -> bool:
        return self.checkin_level in ("warn", "alert") and not self.paused

    @property
    def over_cap(self) -> bool:
        return self.burn_level == "over"
