"""Make the demo team's shifts, check-ins and time entries for a given moment.

Everything is placed relative to ``now`` so the promised mix of states holds
whenever the demo starts: a stale worker is on shift with a last check-in
three working hours back, the off-hours worker's shift is hours away, the
near-cap worker has logged 90% of their task budget. The same seed and ``now``
always give the same team (each person draws from their own seeded random
stream, so adding a person never changes the others).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from farwatch.demo.messages import DemoCheckin, compose, stray_message
from farwatch.demo.people import PEOPLE, Kind, Persona, Role
from farwatch.demo.shifts import Shift, off_shift, on_shift

DEFAULT_SEED = 7
HISTORY_SHIFTS = 8
"""Past shifts that get check-in emails (time entries go back further)."""
ENTRY_DAYS = 28

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Working age of the latest check-in, in minutes, by role (thresholds 2 h / 4 h).
_LATEST_AGE: dict[Role, tuple[float, float]] = {
    "fresh": (12, 50),
    "near_cap": (20, 60),
    "over_cap": (30, 75),
    "warn": (160, 200),
    "alert": (300, 400),
    "paused": (100, 140),
    "off_hours": (10, 40),
}
# How long ago the current shift started, in minutes (before clamping to the day).
_STARTED_AGO: dict[Role, tuple[int, int]] = {
    "never": (60, 120),
    "warn": (200, 330),
    "alert": (240, 360),
}
_TASK_BURN: dict[Role, float] = {"near_cap": 0.9, "over_cap": 1.1}
"""Share of a task cap already used at ``now`` (the other caps stay under 80%)."""


@dataclass(frozen=True, slots=True)
class DemoEntry:
    """One row of the demo time log; ``end`` None while the timer runs."""

    who: str
    start: datetime
    end: datetime | None
    task: str

    def hours(self, now: datetime) -> float:
        return ((self.end or now) - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class DemoWorker:
    persona: Persona
    shift: Shift
    checkins: tuple[DemoCheckin, ...]
    """Oldest first."""
    entries: tuple[DemoEntry, ...]
    """Oldest first."""
    paused_since: datetime | None = None
    pause_reason: str = ""

    @property
    def id(self) -> str:
        return self.persona.id

    @property
    def running(self) -> bool:
        return any(e.end is None for e in self.entries)

    def roster_row(self, im: str = "") -> dict[str, str]:
        """The worker's roster line, keyed by the roster's column names."""
        p = self.persona
        return {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "task": p.task,
            "cap_hours": "" if p.cap_hours is None else f"{p.cap_hours:g}",
            "cap_period": p.cap_period,
            "rate": f"{p.rate:.2f}",
            "currency": p.currency,
            "timezone": p.timezone,
            "hours": self.shift.hours_text,
            "days": self.shift.days_text,
            "category": p.category,
            "im": im,
            "tracker_id": "",
        }


@dataclass(frozen=True, slots=True)
class DemoTeam:
    now: datetime
    seed: int
    workers: tuple[DemoWorker, ...]
    stray: tuple[DemoCheckin, ...]
    """Mail from senders not on the roster."""

    def worker(self, worker_id: str) -> DemoWorker:
        for w in self.workers:
            if w.id == worker_id:
                return w
        raise KeyError(worker_id)

    @property
    def last_month(self) -> str:
        return last_month_name(self.now)


def last_month_name(now: datetime) -> str:
    return _MONTHS[(now.month - 2) % 12]


def build_team(now: datetime, seed: int = DEFAULT_SEED) -> DemoTeam:
    """The whole demo team as of ``now`` (aware), reproducible from ``seed``."""
    if now.tzinfo is None:
        raise ValueError("build_team needs an aware datetime")
    now = now.replace(microsecond=0)
    workers = tuple(_build_worker(p, now, random.Random(f"{seed}:{p.id}")) for p in PEOPLE)
    rng = random.Random(f"{seed}:stray")
    stray = (stray_message(now - timedelta(minutes=rng.randint(60, 180)), rng),)
    return DemoTeam(now=now, seed=seed, workers=workers, stray=stray)


def _minutes(rng: random.Random, bounds: tuple[float, float]) -> timedelta:
    return timedelta(minutes=round(rng.uniform(*bounds)))


def make_shift(p: Persona, now: datetime, rng: random.Random) -> Shift:
    """Place ``p``'s shift around ``now`` according to their role."""
    if p.role == "off_hours":
        return off_shift(now, p.timezone, length=p.shift_minutes, days=p.days)
    lo, hi = _STARTED_AGO.get(p.role, (90, p.shift_minutes - 120))
    hi = min(hi, p.shift_minutes - 100)
    started = rng.randint(min(lo, hi), hi)
    return on_shift(now, p.timezone, started_ago=started, length=p.shift_minutes, days=p.days)


def _build_worker(p: Persona, now: datetime, rng: random.Random) -> DemoWorker:
    shift = make_shift(p, now, rng)
    last_month = last_month_name(now)
    if p.role == "never":
        return DemoWorker(p, shift, (), ())
    latest_at = shift.worked_before(now, _minutes(rng, _LATEST_AGE[p.role]).total_seconds())
    latest_kind: Kind = "blocked" if p.role == "paused" else p.latest
    history = _history(p, shift, latest_at, rng, last_month)
    latest = compose(p, latest_kind, latest_at, rng, last_month=last_month)
    paused_since: datetime | None = None
    reason = ""
    work_until = now
    if p.role == "paused":
        paused_since = min(latest_at + _minutes(rng, (5, 25)), now - timedelta(minutes=5))
        reason = latest.subject.split(":", 1)[-1].strip()
        work_until = paused_since
    entries = _entries(p, shift, work_until, rng, running=p.running and p.role != "paused")
    return DemoWorker(p, shift, (*history, latest), tuple(entries), paused_since, reason)


def _history(
    p: Persona, shift: Shift, before: datetime, rng: random.Random, last_month: str
) -> list[DemoCheckin]:
    """Two or three check-ins a shift over the last few shifts, oldest first."""
    out: list[DemoCheckin] = []
    windows = list(shift.windows_before(before, days_back=HISTORY_SHIFTS * 2))[:HISTORY_SHIFTS]
    for begin, end in windows:
        end = min(end, before - timedelta(minutes=15))
        span = (end - begin).total_seconds()
        if span < 20 * 60:
            continue
        count = rng.randint(2, 3)
        times = sorted(begin + timedelta(seconds=rng.uniform(600, span)) for _ in range(count))
        kinds: list[Kind] = ["checkin"] * count
        roll = rng.random()
        if roll < 0.45:
            kinds[-1] = "done"
        elif roll < 0.55:
            kinds[0] = "question"
        for at, kind in zip(times, kinds, strict=True):
            out.append(compose(p, kind, at.replace(microsecond=0), rng, last_month=last_month))
    out.sort(key=lambda c: c.at)
    return out


def _shift_budget(p: Persona, shift: Shift) -> float:
    """Most hours a shift may log so a day/week/month cap stays under 80%."""
    if p.cap_hours is None or p.cap_period == "task":
        return math.inf
    days = (shift.last_day - shift.first_day) % 7 + 1
    per_period = {"day": 1, "week": days, "month": math.ceil(days * 31 / 7)}[p.cap_period]
    if shift.start + shift.length > 24 * 60:
        per_period += 1  # a night shift spills into the next period too
    return 0.75 * p.cap_hours / per_period


def _entries(
    p: Persona, shift: Shift, now: datetime, rng: random.Random, *, running: bool
) -> list[DemoEntry]:
    """Time entries over the last weeks, newest shift first then sorted.

    A task-capped worker's entries add up to their role's share of the cap at
    ``now``; everyone else logs most of each shift within the shift budget.
    """
    budget = _shift_budget(p, shift)
    target = (p.cap_hours or 0) * _TASK_BURN.get(p.role, 0.0) if p.cap_period == "task" else None
    out: list[DemoEntry] = []
    total = 0.0
    for begin, end in shift.windows_before(now, days_back=ENTRY_DAYS):
        current = end == now
        blocks = _shift_blocks(p, begin, end, now, rng, current=current, running=running)
        blocks = _trim_to(blocks, budget * 3600)
        for block in reversed(blocks):
            hours = block.hours(now)
            if target is not None and total + hours >= target:
                cut = block.end or now
                start = cut - timedelta(hours=target - total)
                out.append(
                    DemoEntry(block.who, start.replace(microsecond=0), block.end, block.task)
                )
                return sorted(out, key=lambda e: e.start)
            total += hours
            out.append(block)
    return sorted(out, key=lambda e: e.start)


def _trim_to(blocks: list[DemoEntry], seconds: float) -> list[DemoEntry]:
    """Keep at most ``seconds`` of a shift's finished blocks, dropping the earliest work."""
    if math.isinf(seconds):
        return blocks
    kept: list[DemoEntry] = []
    left = seconds
    for block in reversed(blocks):
        if block.end is None:
            kept.append(block)
            continue
        length = (block.end - block.start).total_seconds()
        if length <= left:
            kept.append(block)
            left -= length
        elif left > 15 * 60:
            start = block.end - timedelta(seconds=round(left))
            kept.append(DemoEntry(block.who, start, block.end, block.task))
            left = 0.0
    return sorted(kept, key=lambda e: e.start)


def _shift_blocks(
    p: Persona,
    begin: datetime,
    end: datetime,
    now: datetime,
    rng: random.Random,
    *,
    current: bool,
    running: bool,
) -> list[DemoEntry]:
    """One shift's work as one or two blocks around a break."""
    span = (end - begin).total_seconds()
    side = rng.random() < 0.2 and bool(p.side_tasks)
    second_task = rng.choice(p.side_tasks) if side else p.task
    start = begin + timedelta(minutes=rng.randint(0, 12))
    if current:
        if running:
            run_start = now - timedelta(seconds=round(min(span, rng.uniform(25, 70) * 60)))
            blocks = [DemoEntry(p.email, run_start, None, p.task)]
            before = (run_start - start).total_seconds() - rng.uniform(15, 40) * 60
            if before > 20 * 60:
                blocks.insert(
                    0,
                    DemoEntry(p.email, start, start + timedelta(seconds=round(before)), p.task),
                )
            return blocks
        stop = now - timedelta(minutes=rng.randint(5, 25))
        if (stop - start).total_seconds() < 15 * 60:
            return []
        return [DemoEntry(p.email, start, stop.replace(microsecond=0), p.task)]
    worked = span * rng.uniform(0.72, 0.9)
    first = worked * rng.uniform(0.4, 0.6)
    pause = min(rng.uniform(30, 60) * 60, max(0.0, span - worked - 12 * 60))
    mid = start + timedelta(seconds=round(first))
    resume = mid + timedelta(seconds=round(pause))
    stop = min(end, resume + timedelta(seconds=round(worked - first)))
    return [
        DemoEntry(p.email, start, mid, p.task),
        DemoEntry(p.email, resume, stop, second_task),
    ]
