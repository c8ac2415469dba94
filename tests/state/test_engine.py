"""The engine wires sources, cache, audit log and derive: test it end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import CheckIn, Cursor, FetchResult, RosterRow
from farwatch.state import audit
from farwatch.state.cache import Cache
from farwatch.state.engine import Engine
from farwatch.state.settings import CacheSettings, Settings

START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday


class ScriptedSource(Source):
    """Returns or raises whatever the test queued next."""

    type_name: ClassVar[str] = "scripted"

    def __init__(self, name: str) -> None:
        super().__init__(name, {})
        self.script: list[FetchResult | SourceError] = []

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        step = self.script.pop(0)
        if isinstance(step, SourceError):
            raise step
        return step


def roster_result(checkin_at: datetime | None = None) -> FetchResult:
    rows = [RosterRow(worker_id="ana", name="Ana Cruz", email="ana@example.com", timezone="UTC")]
    checkins = []
    if checkin_at is not None:
        checkins.append(
            CheckIn(
                key=f"<{checkin_at.timestamp()}@x>",
                who="ana@example.com",
                at=checkin_at,
                subject="Check-in: invoices",
            )
        )
    return FetchResult(roster=rows, checkins=checkins, roster_complete=True, requests=1)


def make_engine(tmp_path: Path, source: Source, clock: list[datetime]) -> Engine:
    settings = Settings(path=None, cache=CacheSettings(path=tmp_path / "cache.json"))
    engine = Engine(settings, clock=lambda: clock[0], sources=[source])
    engine.open()
    return engine


def test_statuses_follow_polls_and_failures_keep_last_good_data(tmp_path: Path) -> None:
    source = ScriptedSource("team")
    clock = [START]
    engine = make_engine(tmp_path, source, clock)
    source.script = [
        roster_result(START - timedelta(minutes=20)),
        SourceError("connection refused by 127.0.0.1:1", title="refused", kind="refused"),
    ]
    assert engine.poll_all()[0].ok
    [ana] = engine.statuses()
    assert ana.name == "Ana Cruz" and ana.checkin_level == "ok"

    clock[0] = START + timedelta(minutes=5)
    [outcome] = engine.poll_all()
    assert not outcome.ok and outcome.error is not None
    [ana_after] = engine.statuses()
    assert ana_after.last_checkin == START - timedelta(minutes=20)  # last good data kept
    [health] = engine.health()
    assert health.consecutive_failures == 1
    assert health.last_error == "connection refused by 127.0.0.1:1"
    engine.close()


def test_a_refresh_reads_one_snapshot_for_statuses_and_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = ScriptedSource("team")
    clock = [START]
    engine = make_engine(tmp_path, source, clock)
    source.script = [roster_result(START - timedelta(minutes=20))]
    engine.poll_all()
    reads: list[int] = []
    taken = Cache.snapshot
    monkeypatch.setattr(Cache, "snapshot", lambda self, **kw: reads.append(1) or taken(self, **kw))
    refresh = engine.refresh(START)
    assert len(reads) == 1
    assert refresh.statuses == engine.statuses(START)
    assert refresh.health == engine.health()
    assert [s.name for s in refresh.statuses] == ["Ana Cruz"]
    engine.close()


def test_source_failure_and_recovery_are_audited_once_per_change(tmp_path: Path) -> None:
    source = ScriptedSource("team")
    clock = [START]
    engine = make_engine(tmp_path, source, clock)
    refused = SourceError("connection refused", title="refused", kind="refused")
    source.script = [roster_result(), refused, refused, roster_result()]
    for minute in range(4):
        clock[0] = START + timedelta(minutes=minute)
        engine.poll_all()
    entries = audit.read_entries(engine.settings.audit_file)
    kinds = [(e.action, e.channel, e.outcome) for e in reversed(entries)]
    assert kinds == [
        ("source_failure", "team", "refused"),
        ("source_recovered", "team", "ok"),
    ]
    engine.close()


def test_paused_state_comes_from_the_audit_log(tmp_path: Path) -> None:
    source = ScriptedSource("team")
    clock = [START]
    engine = make_engine(tmp_path, source, clock)
    source.script = [roster_result(START)]
    engine.poll_all()
    audit.append(
        engine.settings.audit_file,
        audit.AuditEntry(action="pause", worker="ana", outcome="done", time=START),
    )
    [ana] = engine.statuses()
    assert ana.paused and not ana.stale
    engine.close()


def test_second_engine_reads_while_the_first_writes(tmp_path: Path) -> None:
    source = ScriptedSource("team")
    clock = [START]
    writer = make_engine(tmp_path, source, clock)
    source.script = [roster_result(START), roster_result(START + timedelta(minutes=3))]
    writer.poll_all()

    reader = Engine(writer.settings, clock=lambda: clock[0], sources=[ScriptedSource("team")])
    reader.open()
    assert reader.read_only and reader.lock_holder
    assert [s.name for s in reader.statuses()] == ["Ana Cruz"]

    clock[0] = START + timedelta(minutes=4)
    writer.poll_all()
    assert reader.reload()
    [ana] = reader.statuses()
    assert ana.last_checkin == START + timedelta(minutes=3)
    reader.close()
    writer.close()


def test_health_counts_records_that_match_no_worker(tmp_path: Path) -> None:
    source = ScriptedSource("team")
    engine = make_engine(tmp_path, source, [START])
    result = roster_result(START)
    result.checkins.append(
        CheckIn(key="<stray@x>", who="stranger@elsewhere.example", at=START, subject="hello?")
    )
    source.script = [result]
    engine.poll_all()
    [health] = engine.health()
    assert health.unmatched == 1
    engine.close()
