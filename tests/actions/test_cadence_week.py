"""A week of automatic reminders, minute by minute, across three timezones.

Ana works 09:00-17:00 Mon-Fri in Manila (email), Ben the same hours in New
York (a webhook; the US springs forward on Sunday 8 March 2026), Chi
10:00-18:00 Sun-Thu in Dhaka (email) and is paused from Sunday to Tuesday
noon. Each checks in once a day; Ben is late on Monday and checks in twice on
Wednesday. The clock walks Thu 5 March 00:00 UTC to Thu 12 March 00:00 UTC.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from farwatch.actions.cadence import run_reminders, upcoming
from farwatch.sources.model import RosterRow
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.settings import CacheSettings, NudgeSettings, Policy, Settings, Thresholds
from farwatch.state.snapshot import CacheSnapshot
from farwatch.state.status import WorkerStatus
from tests.servers.nudge_kit import FakeEngine, SmtpServer, Webhook, status

START = datetime(2026, 3, 5, tzinfo=UTC)
END = datetime(2026, 3, 12, tzinfo=UTC)
MANILA, NEW_YORK, DHAKA = (
    ZoneInfo("Asia/Manila"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Dhaka"),
)


def local(zone: ZoneInfo, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=zone).astimezone(UTC)


CHECKINS = {
    "ana": [local(MANILA, 4, 16, 30), *(local(MANILA, d, 10) for d in (5, 6, 9, 10, 11))],
    "ben": [
        local(NEW_YORK, 4, 16, 30),
        local(NEW_YORK, 5, 10),
        local(NEW_YORK, 6, 10),
        local(NEW_YORK, 9, 11),  # late on Monday
        local(NEW_YORK, 10, 10),
        local(NEW_YORK, 11, 10),
        local(NEW_YORK, 11, 12, 30),  # twice on Wednesday
    ],
    "chi": [local(DHAKA, 4, 17, 30), local(DHAKA, 5, 11)],
}
PAUSE = (datetime(2026, 3, 8, tzinfo=UTC), local(DHAKA, 10, 12))


class WeekEngine(FakeEngine):
    """Statuses follow the scripted check-ins at the engine's clock."""

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]:
        at = self.now
        rows = []
        for w in super().statuses(now):
            seen = [c for c in CHECKINS.get(w.id, []) if c <= at]
            rows.append(replace(w, last_checkin=max(seen) if seen else None))
        return rows


def week_engine(tmp_path: Path, smtp: SmtpServer, hook: Webhook) -> WeekEngine:
    settings = Settings(
        path=None,
        cache=CacheSettings(path=tmp_path / "cache.json"),
        thresholds=Thresholds(checkin_warn=2 * 3600, checkin_alert=4 * 3600),
        policy=Policy(
            auto_nudge=True,
            auto_nudge_max_per_day=2,
            shift_start_reminder=15 * 60,
            nudge_cooldown=30 * 60,
        ),
        nudge=NudgeSettings(email=smtp.url(), im=hook.channels()),
    )
    workers = [
        status(id="ana", name="Ana Reyes", email="ana@example.com", timezone="Asia/Manila"),
        status(
            id="ben", name="Ben Ode", email="", im=hook.cell("/ben"), timezone="America/New_York"
        ),
        status(id="chi", name="Chi Das", email="chi@example.com", timezone="Asia/Dhaka"),
        status(id="dee", name="Dee Opt", email="dee@example.com", timezone="UTC"),
    ]
    engine = WeekEngine(settings, workers, now=START)
    rows = [
        RosterRow("ana", "Ana Reyes", timezone="Asia/Manila", hours="09:00-17:00", days="Mon-Fri"),
        RosterRow(
            "ben", "Ben Ode", timezone="America/New_York", hours="09:00-17:00", days="Mon-Fri"
        ),
        RosterRow("chi", "Chi Das", timezone="Asia/Dhaka", hours="10:00-18:00", days="Sun-Thu"),
        RosterRow(
            "dee",
            "Dee Opt",
            timezone="UTC",
            hours="09:00-17:00",
            days="daily",
            extra={"Auto nudge": "no"},
        ),
    ]
    engine.snap = CacheSnapshot(roster={"sheet": rows})
    return engine


def walk(engine: WeekEngine) -> list[tuple[str, str, str]]:
    """Every minute of the week: pause/resume Chi on time, run the reminders."""
    path = engine.settings.audit_file
    sent: list[tuple[str, str, str]] = []
    at = START
    while at < END:
        engine.now = at
        if at == PAUSE[0]:
            audit.append(path, AuditEntry("pause", worker="chi", outcome="done", time=at))
        if at == PAUSE[1]:
            audit.append(path, AuditEntry("resume", worker="chi", outcome="done", time=at))
        for e in run_reminders(engine):
            if e.outcome == "intent":
                sent.append((f"{at:%a %d %H:%M}", e.worker, e.detail.split(":", 1)[0]))
        at += timedelta(minutes=1)
    return sent


def test_a_week_of_reminders_goes_out_at_the_right_minutes_to_the_right_people(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    engine = week_engine(tmp_path, smtp_server, webhook)
    sent = walk(engine)
    expected = [
        # Thursday: everyone's shift start, then each one's overdue spell.
        ("Thu 05 01:15", "ana", "shift_start"),  # 09:15 Manila
        ("Thu 05 04:00", "ana", "overdue"),  # 12:00 Manila, 2 working hours after 10:00
        ("Thu 05 04:15", "chi", "shift_start"),  # 10:15 Dhaka
        ("Thu 05 07:00", "chi", "overdue"),  # 13:00 Dhaka
        ("Thu 05 14:15", "ben", "shift_start"),  # 09:15 New York, EST
        ("Thu 05 17:00", "ben", "overdue"),
        ("Fri 06 01:15", "ana", "shift_start"),
        ("Fri 06 04:00", "ana", "overdue"),
        ("Fri 06 14:15", "ben", "shift_start"),
        ("Fri 06 17:00", "ben", "overdue"),
        # Weekend: nothing. Chi's Sunday and Monday: paused.
        ("Mon 09 01:15", "ana", "shift_start"),
        ("Mon 09 04:00", "ana", "overdue"),
        ("Mon 09 13:15", "ben", "shift_start"),  # 09:15 New York, now EDT
        ("Mon 09 17:00", "ben", "overdue"),  # 2 working hours after his 11:00 check-in
        ("Tue 10 01:15", "ana", "shift_start"),
        ("Tue 10 04:00", "ana", "overdue"),
        # Chi resumes at 12:00 Dhaka: her shift start is long past, her spell
        # (since Thursday) was reminded already.
        ("Tue 10 13:15", "ben", "shift_start"),
        ("Tue 10 16:00", "ben", "overdue"),
        ("Wed 11 01:15", "ana", "shift_start"),
        ("Wed 11 04:00", "ana", "overdue"),
        ("Wed 11 04:15", "chi", "shift_start"),
        ("Wed 11 13:15", "ben", "shift_start"),
        ("Wed 11 16:00", "ben", "overdue"),
        # Ben's 12:30 check-in starts a spell due at 14:30, but he has had his
        # two for the day: it waits for Thursday's start.
    ]
    assert sent == expected
    mails = smtp_server.mails
    assert sorted(m.recipients[0] for m in mails) == sorted(
        ["ana@example.com"] * 10 + ["chi@example.com"] * 3
    )
    assert len(webhook.requests) == 10
    assert {path for path, _ in webhook.requests} == {"/ben"}
    assert not any("dee" in e.worker for e in audit.read_entries(engine.settings.audit_file))
    nxt = upcoming(engine, engine.statuses(), END)
    assert [(r.worker, r.kind, r.due) for r in nxt][:1] == [
        ("ana", "shift_start", local(MANILA, 12, 9, 15))
    ]
    assert ("ben", "overdue", local(NEW_YORK, 12, 9)) in [(r.worker, r.kind, r.due) for r in nxt]
