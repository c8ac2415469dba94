"""A small stand-in engine with fixed statuses, for dashboard tests and snapshots.

It has the attributes and methods of ``farwatch.state.engine.Engine`` that the
dashboard uses; statuses are given, not derived, so each test states exactly
what the owner should see.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from farwatch.sources.model import CheckIn, RosterRow, TimeEntry
from farwatch.state.clock import Clock, frozen_clock
from farwatch.state.engine_api import Refresh
from farwatch.state.settings import (
    CacheSettings,
    ImChannelSettings,
    NudgeSettings,
    Settings,
    SourceSettings,
    UiSettings,
)
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
"""Wednesday afternoon UTC: the frozen moment of every dashboard test."""


def status(
    worker_id: str,
    name: str,
    *,
    category: str = "VA",
    timezone: str = "Asia/Manila",
    task: str = "Inbox triage",
    age_hours: float | None = 1.0,
    level: str = "ok",
    used: float = 10.0,
    cap: float | None = 40.0,
    paused: bool = False,
    running: bool = False,
    subject: str = "Daily update",
    email: str = "",
    im: str = "",
    activity: tuple[float, ...] = (),
    now: datetime = NOW,
) -> WorkerStatus:
    last = None if age_hours is None else now - timedelta(hours=age_hours)
    burn = None if cap is None else used / cap
    if cap is None:
        burn_level = "no_cap"
    elif burn is not None and burn >= 1.0:
        burn_level = "over"
    elif burn is not None and burn >= 0.8:
        burn_level = "warn"
    else:
        burn_level = "ok"
    from zoneinfo import ZoneInfo

    return WorkerStatus(
        id=worker_id,
        name=name,
        email=email or f"{worker_id}@example.com",
        category=category,
        timezone=timezone,
        local_time=now.astimezone(ZoneInfo(timezone)),
        task=task,
        task_source="timer" if running else "checkin",
        running=running,
        paused=paused,
        working_now=True,
        last_checkin=last,
        last_checkin_subject=subject,
        checkin_age=None if age_hours is None else age_hours * 3600,
        checkin_work_age=None if age_hours is None else age_hours * 3600,
        checkin_level=level if age_hours is not None else "never",  # type: ignore[arg-type]
        hours_used=used,
        cap_hours=cap,
        cap_period="week",
        period_start=datetime(2026, 3, 2, tzinfo=UTC),
        burn=burn,
        burn_level=burn_level,  # type: ignore[arg-type]
        cap_eta=None,
        checkins_total=5,
        im=im,
        activity=activity or tuple(((i * 7) % 10) / 10 for i in range(24)),
    )


def team(now: datetime = NOW) -> list[WorkerStatus]:
    """Twelve workers: 3 stale, 1 over cap, 1 paused (the README's example line)."""
    return [
        status(
            "ana",
            "Ana Reyes",
            age_hours=0.5,
            used=12,
            now=now,
            running=True,
            task="Reconcile March invoices",
            im="telegram:@ana_reyes",
        ),
        status(
            "ben",
            "Ben Okafor",
            category="KPO",
            timezone="Africa/Lagos",
            age_hours=2.5,
            level="warn",
            used=30,
            now=now,
            task="Market research: EU tariffs",
        ),
        status(
            "chen",
            "Chen Wei",
            category="TSO",
            timezone="Asia/Shanghai",
            age_hours=5,
            level="alert",
            used=20,
            now=now,
            task="Support queue",
        ),
        status(
            "dara",
            "Dara Singh",
            category="BPO",
            timezone="Asia/Kolkata",
            age_hours=0.2,
            used=44,
            now=now,
            task="Data entry batch 7",
        ),
        status(
            "eve",
            "Eve Santos",
            age_hours=3.0,
            level="warn",
            used=33,
            now=now,
            task="Calendar cleanup",
        ),
        status(
            "femi",
            "Femi Adeyemi",
            category="KPO",
            timezone="Africa/Lagos",
            age_hours=1.2,
            used=8,
            now=now,
            task="Competitor pricing sheet",
        ),
        status(
            "gia",
            "Gia Tran",
            category="VA",
            timezone="Asia/Ho_Chi_Minh",
            age_hours=8,
            level="off_hours",
            used=15,
            now=now,
            task="Travel bookings",
        ),
        status(
            "hugo",
            "Hugo Lima",
            category="TSO",
            timezone="America/Sao_Paulo",
            age_hours=None,
            used=0,
            cap=20,
            now=now,
            task="",
        ),
        status(
            "ines",
            "Ines Duarte",
            category="BPO",
            timezone="Europe/Lisbon",
            age_hours=0.1,
            used=25,
            cap=None,
            now=now,
            task="Order processing",
        ),
        status(
            "jon",
            "Jon Park",
            category="VA",
            timezone="Asia/Seoul",
            age_hours=6,
            level="alert",
            used=38,
            now=now,
            paused=True,
            task="Email drafts",
        ),
        status(
            "kai",
            "Kai Mendoza",
            category="BPO",
            timezone="Asia/Manila",
            age_hours=0.8,
            used=16,
            now=now,
            task="Transcription",
        ),
        status(
            "lea",
            "Lea Novak",
            category="KPO",
            timezone="Europe/Zagreb",
            age_hours=1.5,
            used=34,
            now=now,
            task="Literature review",
        ),
    ]


def health(now: datetime = NOW) -> list[SourceHealth]:
    return [
        SourceHealth(
            name="roster",
            type="sheet",
            last_success=now - timedelta(minutes=3),
            last_attempt=now - timedelta(minutes=3),
            requests=41,
            records=12,
            next_poll=now + timedelta(minutes=2),
        ),
        SourceHealth(
            name="mail",
            type="imap",
            last_success=now - timedelta(minutes=1),
            requests=230,
            records=180,
            unmatched=2,
            next_poll=now + timedelta(seconds=40),
        ),
        SourceHealth(
            name="clockify",
            type="clockify",
            last_success=now - timedelta(hours=2),
            last_attempt=now,
            last_error="the server answered 429 Too Many Requests; waiting 10 min",
            last_error_title="rate limited",
            last_error_kind="rate_limited",
            last_error_at=now - timedelta(minutes=4),
            consecutive_failures=3,
            next_poll=now + timedelta(minutes=10),
            requests=88,
        ),
    ]


class FakeSource:
    type_name = "fake"
    default_interval = 60.0
    can_stop_timer = False
    can_wait_for_change = False

    def __init__(self, name: str) -> None:
        self.name = name


TELEGRAM = NudgeSettings(
    im={"telegram": ImChannelSettings("telegram", "tgram://{token}/{to}", {"token": "FW_TG_TOKEN"})}
)
"""The owner's IM channel the team's roster ``im`` cells name (``telegram:@ana_reyes``)."""


class FakeEngine:
    """Statuses and health are plain attributes a test can change between polls."""

    def __init__(
        self,
        tmp: Path,
        statuses: list[WorkerStatus] | None = None,
        *,
        clock: Clock | None = None,
        health_rows: list[SourceHealth] | None = None,
        ui: UiSettings | None = None,
        read_only: bool = False,
        checkins: dict[str, list[CheckIn]] | None = None,
        entries: dict[str, list[TimeEntry]] | None = None,
    ) -> None:
        self.settings = Settings(
            path=None,
            cache=CacheSettings(path=tmp / "cache.json"),
            sources=tuple(
                SourceSettings(type=h.type, name=h.name, interval=60.0)
                for h in (health_rows if health_rows is not None else health())
            ),
            ui=ui or UiSettings(bell=False),
            audit_path=tmp / "audit.jsonl",
            nudge=TELEGRAM,
        )
        self.clock: Clock = clock or frozen_clock(NOW)
        self.notices: list[str] = []
        self.current: list[WorkerStatus] = list(statuses if statuses is not None else team())
        self.health_rows = list(health_rows if health_rows is not None else health())
        self.sources: dict[str, Any] = {h.name: FakeSource(h.name) for h in self.health_rows}
        self.intervals = {name: 60.0 for name in self.sources}
        self._read_only = read_only
        self.lock_holder: str | None = "pid 4242 on host (farwatch poll)" if read_only else None
        self.polled: list[str] = []
        self.reloads = 0
        self.history_checkins = checkins or {}
        self.history_entries = entries or {}
        self._lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        return self._read_only

    def poll_source(self, name: str) -> Any:
        with self._lock:
            self.polled.append(name)
        return _Outcome(source=name)

    def reload(self) -> bool:
        self.reloads += 1
        return True

    def snapshot(self) -> CacheSnapshot:
        roster = [RosterRow(worker_id=s.id, name=s.name, email=s.email) for s in self.current]
        return CacheSnapshot(
            roster={"roster": roster},
            checkins=dict(self.history_checkins),
            entries=dict(self.history_entries),
        )

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]:
        return list(self.current)

    def health(self) -> list[SourceHealth]:
        return list(self.health_rows)

    def refresh(self, now: datetime | None = None) -> Refresh:
        return Refresh(self.snapshot(), self.statuses(now), self.health())

    def change(self, worker_id: str, **fields: Any) -> None:
        self.current = [replace(s, **fields) if s.id == worker_id else s for s in self.current]


class _Outcome:
    def __init__(self, source: str) -> None:
        self.source = source
        self.ok = True
        self.records = 0
        self.new_records = 0
        self.error = None
        self.duration = 0.0
        self.requests = 1
        self.next_poll = None


class FakeScheduler:
    """Records what the app asked; ``due`` returns what a test queued."""

    def __init__(self) -> None:
        self.queued: list[str] = []
        self.calls: list[tuple[str, str]] = []

    def due(self, now: datetime) -> list[str]:
        queued, self.queued = self.queued, []
        return queued

    def started(self, name: str) -> None:
        self.calls.append(("started", name))

    def finished(self, name: str, outcome: Any) -> None:
        self.calls.append(("finished", name))

    def poll_now(self, name: str) -> None:
        self.calls.append(("poll_now", name))


def screen_text(app: Any) -> str:
    """What the terminal shows right now, as plain lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def ana_history(now: datetime = NOW) -> tuple[dict[str, list[CheckIn]], dict[str, list[TimeEntry]]]:
    """A few days of Ana's check-ins and tracked time, for the detail screen."""
    who = "ana@example.com"
    checkins = [
        CheckIn(
            key=f"m{i}",
            who=who,
            at=now - timedelta(hours=h),
            subject=subject,
            first_line=line,
            kind=kind,
        )  # type: ignore[arg-type]
        for i, (h, subject, line, kind) in enumerate(
            [
                (
                    0.5,
                    "Invoices: 40 of 65 reconciled",
                    "Two vendors missing PO numbers.",
                    "checkin",
                ),
                (3.0, "Question about the March credit notes", "Should credits net?", "question"),
                (26.0, "Done: February close", "All accounts tied out.", "done"),
            ]
        )
    ]
    entries = [
        TimeEntry(
            key="e1",
            who=who,
            start=datetime(2026, 3, 2, 1, tzinfo=UTC),
            end=datetime(2026, 3, 2, 6, tzinfo=UTC),
            task="February close",
        ),
        TimeEntry(
            key="e2",
            who=who,
            start=datetime(2026, 3, 3, 1, tzinfo=UTC),
            end=datetime(2026, 3, 3, 5, 30, tzinfo=UTC),
            task="Reconcile March invoices",
        ),
        TimeEntry(
            key="e3",
            who=who,
            start=now - timedelta(hours=2.5),
            end=None,
            task="Reconcile March invoices",
        ),
    ]
    return {"mail": checkins}, {"clockify": entries}
