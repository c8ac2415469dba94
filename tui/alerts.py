"""Threshold crossings: which workers just got worse, once per crossing.

Compares the levels a worker had on the previous refresh with the new ones;
only a rise (ok → warn, warn → alert, ok → over ...) is a crossing, so a worker
who stays stale is announced once, not on every poll. The first sight of a
worker is never a crossing (starting the dashboard is not news).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from farwatch.state.status import WorkerStatus
from farwatch.tui.cells import format_hours, humanize_age
from farwatch.tui.widgets.safe import clean

_CHECKIN_RANK = {"ok": 0, "off_hours": 0, "never": 0, "warn": 1, "alert": 2}
_BURN_RANK = {"ok": 0, "no_cap": 0, "warn": 1, "over": 2}


@dataclass(frozen=True, slots=True)
class Crossing:
    worker_id: str
    name: str
    kind: Literal["checkin", "burn"]
    level: str
    text: str
    """Plain words for the toast and the audit log (untrusted parts cleaned)."""

    @property
    def severe(self) -> bool:
        return self.level in ("alert", "over")


def crossings(
    previous: Mapping[str, WorkerStatus], current: Iterable[WorkerStatus]
) -> list[Crossing]:
    found: list[Crossing] = []
    for status in current:
        before = previous.get(status.id)
        if before is None or status.paused:
            continue
        name = clean(status.name or status.id, 60)
        if _CHECKIN_RANK.get(status.checkin_level, 0) > _CHECKIN_RANK.get(before.checkin_level, 0):
            age = humanize_age(status.checkin_work_age)
            words = "no check-in" if status.checkin_level == "warn" else "overdue: no check-in"
            found.append(
                Crossing(
                    status.id,
                    name,
                    "checkin",
                    status.checkin_level,
                    f"{name}: {words} for {age} of working time",
                )
            )
        if _BURN_RANK.get(status.burn_level, 0) > _BURN_RANK.get(before.burn_level, 0):
            cap = format_hours(status.cap_hours or 0.0)
            used = format_hours(status.hours_used)
            percent = round((status.burn or 0.0) * 100)
            words = "over the cap" if status.burn_level == "over" else "nearing the cap"
            found.append(
                Crossing(
                    status.id,
                    name,
                    "burn",
                    status.burn_level,
                    f"{name}: {words} ({used}/{cap}h, {percent}%)",
                )
            )
    return found
