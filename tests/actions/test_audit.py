"""The audit log: what was done stays recorded, readable and free of secrets."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from farwatch.state import audit
from farwatch.state.audit import AuditEntry

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def entry(action: str, worker: str = "ana", minutes: int = 0, **kw: str) -> AuditEntry:
    return AuditEntry(action=action, worker=worker, time=T0 + timedelta(minutes=minutes), **kw)


def test_append_then_read_newest_first_with_every_field(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    first = audit.append(log, entry("ping", outcome="intent", channel="email", message="hi"))
    second = audit.append(log, entry("ping", minutes=1, outcome="sent", intent_id=first.id))
    got = audit.read_entries(log)
    assert [e.id for e in got] == [second.id, first.id]
    assert got[1] == first
    assert got[0].intent_id == first.id
    assert "@" in first.actor
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    line = json.loads(log.read_text().splitlines()[0])
    assert set(line) >= {"id", "time", "actor", "action", "worker", "channel", "message"}
    assert line["time"] == "2026-03-10T12:00:00+00:00"


def test_filter_by_worker(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    audit.append(log, entry("ping", "ana"))
    audit.append(log, entry("ping", "ben"))
    assert [e.worker for e in audit.read_entries(log, worker="ben")] == ["ben"]
    assert audit.read_entries(tmp_path / "missing.jsonl") == []


def test_secrets_are_scrubbed(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    audit.append(
        log,
        entry(
            "ping",
            channel="mailtos://owner:hunter2@smtp.example.com:465/?to=ana@example.com",
            detail="failed: slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7Fq and "
            "https://hooks.example.com/services/SECRETTOKEN?key=abc",
            message="see https://bob:pw@docs.example.com/page",
        ),
    )
    text = log.read_text()
    for secret in (
        "hunter2",
        "owner:",
        "T1JJ3T3L2",
        "TIiajkdnla",
        "SECRETTOKEN",
        "key=abc",
        "bob:pw",
    ):
        assert secret not in text
    got = audit.read_entries(log)[0]
    assert got.channel == "mailtos://smtp.example.com:465"
    assert "slack://***" in got.detail
    assert "https://hooks.example.com" in got.detail
    assert got.message == "see https://docs.example.com/page"


def test_torn_last_line_is_skipped_reported_and_next_append_is_clean(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    good = audit.append(log, entry("pause", outcome="done"))
    with open(log, "ab") as fh:  # what a crash mid-write leaves
        fh.write(b'{"id": "x", "time": "2026-03-10T12:00:00+00:00", "action": "res')
    read = audit.read_log(log)
    assert [e.id for e in read.entries] == [good.id]
    assert len(read.skipped) == 1 and "incomplete" in read.skipped[0].reason
    assert "ana" in audit.paused_workers(log)
    after = audit.append(log, entry("resume", minutes=5, outcome="done"))
    read = audit.read_log(log)
    assert [e.id for e in read.entries] == [after.id, good.id]
    assert len(read.skipped) == 1 and read.skipped[0].line_no == 2
    assert audit.paused_workers(log) == {}


def test_paused_workers_follows_latest_pause_or_resume(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    audit.append(log, entry("pause", "ana", 0, outcome="done", message="over budget"))
    audit.append(log, entry("auto_pause", "ben", 1, outcome="done"))
    audit.append(log, entry("pause", "cy", 2, outcome="dry_run"))
    audit.append(log, entry("resume", "ben", 3, outcome="done"))
    paused = audit.paused_workers(log)
    assert set(paused) == {"ana"}
    assert paused["ana"].reason == "over budget"
    assert paused["ana"].since == T0


def test_last_ping_counts_sent_and_pending_not_failed(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    failed = audit.append(log, entry("ping", minutes=0, outcome="intent"))
    audit.append(log, entry("ping", minutes=0, outcome="failed", intent_id=failed.id))
    assert audit.last_ping(log, "ana") is None
    sent = audit.append(log, entry("ping", minutes=10, outcome="intent"))
    audit.append(log, entry("ping", minutes=10, outcome="sent", intent_id=sent.id))
    assert audit.last_ping(log, "ana") == T0 + timedelta(minutes=10)
    pending = audit.append(log, entry("ping", minutes=20, outcome="intent"))
    assert audit.last_ping(log, "ana") == T0 + timedelta(minutes=20)
    assert [e.id for e in audit.pending_intents(log)] == [pending.id]
    assert audit.last_ping(log, "ben") is None


def test_paused_workers_is_fast_on_a_big_log(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    lines = []
    for i in range(30_000):
        e = entry("pause" if i % 2 else "resume", f"w{i % 50}", i, outcome="done")
        lines.append(json.dumps(e.to_json()))
    log.write_text("\n".join(lines) + "\n")
    audit.paused_workers(log)  # first parse
    start = time.perf_counter()
    for _ in range(100):
        audit.paused_workers(log)
    assert time.perf_counter() - start < 0.5  # cached: the dashboard calls this every refresh
    audit.append(log, entry("resume", "w1", 99_999, outcome="done"))
    start = time.perf_counter()
    paused = audit.paused_workers(log)
    assert time.perf_counter() - start < 0.5  # only the new line is parsed
    assert "w1" not in paused and "w3" in paused


def test_an_existing_world_readable_log_is_made_private(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text("")
    os.chmod(log, 0o644)
    audit.append(log, entry("ping"))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_line_dated_outside_the_computable_years_is_skipped_and_named(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, entry("pause", outcome="done"))
    bad = {"id": "x1", "time": "0001-01-01T00:00:00+01:00", "action": "resume", "worker": "ana"}
    far = {**bad, "id": "x2", "time": "9999-12-31T23:59:59-01:00"}
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(bad) + "\n" + json.dumps(far) + "\n")
    audit.clear_cache()
    read = audit.read_log(log)
    assert [e.action for e in read.entries] == ["pause"]
    assert [(s.line_no, "outside the years" in s.reason) for s in read.skipped] == [
        (2, True),
        (3, True),
    ]
    assert set(audit.paused_workers(log)) == {"ana"}
