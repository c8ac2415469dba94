"""The demo team shows its promised mix of states whenever the demo starts.

These tests feed the generated team straight into derive (no files), so they
can sweep every half hour of a whole week, across the DST change of
São Paulo's and Kyiv's neighbours. ``test_demo_engine.py`` checks the same
promise through the real files, sources and cache.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from farwatch.demo.team import DEFAULT_SEED, DemoTeam, build_team
from farwatch.sources.model import CheckIn, RosterRow, TimeEntry
from farwatch.state.derive import derive_statuses
from farwatch.state.settings import CacheSettings, Settings
from farwatch.state.snapshot import CacheSnapshot, PauseState
from farwatch.state.status import WorkerStatus


def snapshot_of(team: DemoTeam) -> CacheSnapshot:
    roster = []
    for w in team.workers:
        row = w.roster_row()
        roster.append(
            RosterRow(
                worker_id=row["id"],
                name=row["name"],
                email=row["email"],
                task=row["task"],
                cap_hours=float(row["cap_hours"]) if row["cap_hours"] else None,
                cap_period=w.persona.cap_period,
                timezone=row["timezone"],
                hours=row["hours"],
                days=row["days"],
                category=row["category"],
            )
        )
    checkins = [
        CheckIn(
            key=c.message_id, who=c.sender.split("<")[1].rstrip(">"), at=c.at, subject=c.subject
        )
        for w in team.workers
        for c in w.checkins
    ]
    entries = [
        TimeEntry(
            key=f"{e.who}:{e.start.isoformat()}", who=e.who, start=e.start, end=e.end, task=e.task
        )
        for w in team.workers
        for e in w.entries
    ]
    paused = {
        w.id: PauseState(w.id, w.paused_since) for w in team.workers if w.paused_since is not None
    }
    return CacheSnapshot(
        roster={"roster": roster},
        checkins={"checkins": checkins},
        entries={"timelog": entries},
        paused=paused,
    )


def statuses_at(now: datetime, seed: int = DEFAULT_SEED) -> dict[str, WorkerStatus]:
    team = build_team(now, seed)
    settings = Settings(path=None, cache=CacheSettings(path=Path("unused.json")))
    return {s.id: s for s in derive_statuses(snapshot_of(team), settings, team.now)}


def assert_promised_mix(rows: dict[str, WorkerStatus], when: datetime) -> None:
    levels = Counter(s.checkin_level for s in rows.values())
    burns = Counter(s.burn_level for s in rows.values())
    where = f"at {when.isoformat()}"
    assert levels["ok"] >= 3, where
    assert levels["warn"] >= 1 and levels["alert"] >= 1, where
    assert levels["off_hours"] >= 1 and levels["never"] >= 1, where
    assert burns["warn"] >= 1 and burns["over"] >= 1 and burns["no_cap"] >= 1, where
    assert any(s.paused for s in rows.values()), where
    assert any(s.running for s in rows.values()), where
    # Each role lands on the person who plays it.
    assert rows["jdelacruz"].checkin_level == "warn", where
    assert rows["cokafor"].checkin_level == "alert", where
    assert rows["loliveira"].checkin_level == "off_hours", where
    assert rows["praghavan"].checkin_level == "never", where
    assert rows["msantos"].checkin_level == "ok" and rows["msantos"].running, where
    near = rows["dshevchenko"]
    assert near.burn_level == "warn" and near.burn is not None and 0.85 <= near.burn <= 0.95, where
    over = rows["okovalenko"]
    assert over.burn_level == "over" and over.running, where
    assert rows["fcosta"].paused and not rows["fcosta"].running, where
    # Nobody else is near or over their cap: the two who are stand out.
    others = [s for k, s in rows.items() if k not in ("dshevchenko", "okovalenko")]
    assert all(s.burn_level in ("ok", "no_cap") for s in others), where


@pytest.mark.parametrize("hhmm", ["03:00", "09:30", "15:00", "22:00", "23:45", "00:10"])
def test_promised_states_at_any_time_of_day(hhmm: str) -> None:
    hour, minute = map(int, hhmm.split(":"))
    now = datetime(2025, 6, 11, hour, minute, 17, tzinfo=UTC)
    assert_promised_mix(statuses_at(now), now)


def test_promised_states_every_half_hour_for_a_week() -> None:
    start = datetime(2025, 10, 20, 0, 7, tzinfo=UTC)  # a week around the end of EU summer time
    for step in range(7 * 48):
        now = start + timedelta(minutes=30 * step)
        assert_promised_mix(statuses_at(now), now)


def test_states_hold_for_a_while_after_start() -> None:
    """The demo is watched for minutes: the mix must not fall apart an hour in."""
    start = datetime(2025, 2, 3, 17, 41, tzinfo=UTC)
    team = build_team(start)
    settings = Settings(path=None, cache=CacheSettings(path=Path("unused.json")))
    later = start + timedelta(minutes=60)
    rows = {s.id: s for s in derive_statuses(snapshot_of(team), settings, later)}
    assert rows["loliveira"].checkin_level == "off_hours"
    assert rows["praghavan"].checkin_level == "never"
    assert rows["cokafor"].checkin_level == "alert"
    assert rows["jdelacruz"].checkin_level in ("warn", "alert")


def test_same_seed_and_time_give_the_same_team() -> None:
    now = datetime(2025, 6, 11, 9, 30, tzinfo=UTC)
    a, b = build_team(now, 3), build_team(now, 3)
    assert a == b
    c = build_team(now, 4)
    assert [w.checkins for w in a.workers] != [w.checkins for w in c.workers]


def test_team_is_realistic() -> None:
    team = build_team(datetime(2025, 6, 11, 9, 30, tzinfo=UTC))
    assert 10 <= len(team.workers) <= 12
    assert {w.persona.category for w in team.workers} == {"BPO", "KPO", "TSO", "VA"}
    zones = {w.persona.timezone for w in team.workers}
    assert {
        "Asia/Manila",
        "Africa/Lagos",
        "Europe/Kyiv",
        "America/Sao_Paulo",
        "Asia/Dhaka",
    } <= zones
    assert len({w.persona.email.lower() for w in team.workers}) == len(team.workers)
    for w in team.workers:
        for e in w.entries:
            assert e.end is None or e.end > e.start, w.id
            assert e.start <= team.now
        assert [c.at for c in w.checkins] == sorted(c.at for c in w.checkins)
        assert all(c.at <= team.now for c in w.checkins)
