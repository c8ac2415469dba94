"""Pause, resume and auto-pause: the worker stops, the clock stops, both are told."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from farwatch.actions.autopause import check_auto_pause
from farwatch.actions.pause import pause, resume
from farwatch.sources.model import RosterRow
from farwatch.state import audit
from farwatch.state.settings import Policy
from farwatch.state.snapshot import CacheSnapshot
from tests.servers.nudge_kit import (
    FakeEngine,
    SmtpServer,
    StopSource,
    make_settings,
    running_entry,
    status,
)


def engine_with_tracker(
    tmp_path: Path, smtp: SmtpServer, *, running: bool = True
) -> tuple[FakeEngine, StopSource]:
    engine = FakeEngine(make_settings(tmp_path, email=smtp.url()), [status()])
    tracker = StopSource("tracker", running=running)
    engine.sources["tracker"] = tracker
    engine.snap = CacheSnapshot(
        roster={
            "sheet": [
                RosterRow(
                    worker_id="ana", name="Ana Reyes", email="ana@example.com", tracker_id="u-ana"
                )
            ]
        },
        entries={"tracker": [running_entry("u-ana")]},
    )
    return engine, tracker


def test_pause_marks_stops_the_timer_tells_the_worker_and_records(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine, tracker = engine_with_tracker(tmp_path, smtp_server)
    result = pause(engine, "ana", "Over budget this week.")
    assert result.ok and result.status == "done", result.describe()
    assert tracker.calls == ["u-ana"]
    assert [t.outcome for t in result.timers] == ["stopped"]
    assert engine.statuses()[0].paused
    [mail] = smtp_server.mails
    assert mail.recipients == ["ana@example.com"]
    assert "pause" in mail.subject.lower() and "Over budget this week." in mail.body
    log = audit.read_entries(engine.settings.audit_file)
    actions = [(e.action, e.outcome) for e in reversed(log)]
    assert actions == [
        ("pause", "done"),
        ("stop_timer", "intent"),
        ("stop_timer", "stopped"),
        ("notify", "intent"),
        ("notify", "sent"),
    ]
    assert (
        audit.paused_workers(engine.settings.audit_file)["ana"].reason == "Over budget this week."
    )
    # Notices are not pings: the owner can still ping right away.
    assert audit.last_ping(engine.settings.audit_file, "ana") is None


def test_pause_survives_nothing_running(tmp_path: Path, smtp_server: SmtpServer) -> None:
    engine, _tracker = engine_with_tracker(tmp_path, smtp_server, running=False)
    result = pause(engine, "ana")
    assert result.ok and [t.outcome for t in result.timers] == ["not_running"]
    assert "no timer running" in result.describe()
    assert engine.statuses()[0].paused


def test_pause_then_resume_and_pause_again_is_idempotent(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine, _tracker = engine_with_tracker(tmp_path, smtp_server)
    pause(engine, "ana")
    again = pause(engine, "ana")
    assert again.status == "already" and again.notice is None
    assert len(smtp_server.mails) == 1
    back = resume(engine, "ana")
    assert back.ok and back.status == "done"
    assert not engine.statuses()[0].paused
    assert "continue" in smtp_server.mails[-1].subject
    assert resume(engine, "ana").status == "not_paused"


def test_dry_run_pause_does_nothing(tmp_path: Path, smtp_server: SmtpServer) -> None:
    engine, tracker = engine_with_tracker(tmp_path, smtp_server)
    result = pause(engine, "ana", dry_run=True)
    assert result.status == "dry_run"
    assert [t.outcome for t in result.timers] == ["planned"]
    assert "would" in result.describe()
    assert tracker.calls == [] and smtp_server.mails == []
    assert not engine.settings.audit_file.exists()


def test_tracker_failure_is_reported_but_pause_stands(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    from farwatch.sources.base import SourceError

    engine, tracker = engine_with_tracker(tmp_path, smtp_server)
    tracker.error = SourceError("Clockify answered 403: not an admin", kind="auth")
    result = pause(engine, "ana")
    assert not result.ok
    assert "not an admin" in result.describe()
    assert engine.statuses()[0].paused
    assert audit.read_entries(engine.settings.audit_file, worker="ana")[2].outcome == "failed"


def test_auto_pause_fires_once_per_crossing_and_rearms(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine, tracker = engine_with_tracker(tmp_path, smtp_server)
    from dataclasses import replace

    engine.settings = replace(engine.settings, policy=Policy(auto_pause_at_cap=True))
    over = status(burn=1.0, burn_level="over", hours_used=40.0)
    engine.workers = [over]
    events = check_auto_pause(engine)
    assert [(e.action, e.outcome) for e in events] == [
        ("threshold", "over_cap"),
        ("auto_pause", "done"),
    ]
    assert engine.statuses()[0].paused and tracker.calls == ["u-ana"]
    assert len(smtp_server.mails) == 1
    # The owner resumes; still over the cap: no second auto-pause for this crossing.
    resume(engine, "ana")
    for _ in range(3):
        assert check_auto_pause(engine) == []
    assert not engine.statuses()[0].paused
    # A new period: under the cap re-arms, the next crossing pauses again.
    engine.workers = [status(burn=0.1, hours_used=4.0)]
    assert [e.outcome for e in check_auto_pause(engine)] == ["under_cap"]
    engine.now += timedelta(days=7)
    engine.workers = [over]
    tracker.running = True
    events = check_auto_pause(engine)
    assert [e.action for e in events] == ["threshold", "auto_pause"]
    assert engine.statuses()[0].paused


def test_auto_pause_off_only_records_the_crossing(tmp_path: Path, smtp_server: SmtpServer) -> None:
    engine, tracker = engine_with_tracker(tmp_path, smtp_server)
    engine.workers = [status(burn=1.2, burn_level="over")]
    events = check_auto_pause(engine)
    assert [e.outcome for e in events] == ["over_cap"]
    assert check_auto_pause(engine) == []
    assert not engine.statuses()[0].paused and tracker.calls == [] and smtp_server.mails == []


def test_auto_pause_state_survives_a_restart(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """A second engine (a restart, or the poll daemon) reads the same log."""
    from dataclasses import replace

    engine, _ = engine_with_tracker(tmp_path, smtp_server)
    engine.settings = replace(engine.settings, policy=Policy(auto_pause_at_cap=True))
    engine.workers = [status(burn=1.0, burn_level="over")]
    assert check_auto_pause(engine)
    audit.clear_cache()
    restarted, _ = engine_with_tracker(tmp_path, smtp_server)
    restarted.settings = engine.settings
    restarted.workers = engine.workers
    assert check_auto_pause(restarted) == []
    assert len(smtp_server.mails) == 1


def test_the_pause_reason_reaches_the_worker_as_its_own_sentence(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine, _tracker = engine_with_tracker(tmp_path, smtp_server)
    assert pause(engine, "ana", "holiday").ok
    [mail] = smtp_server.mails
    assert "don't track more time on it. Reason: holiday." in " ".join(mail.body.split())


def test_a_pause_preview_speaks_in_one_tense(tmp_path: Path, smtp_server: SmtpServer) -> None:
    engine, _tracker = engine_with_tracker(tmp_path, smtp_server)
    preview = pause(engine, "ana", dry_run=True).preview()
    assert preview == (
        "Will mark Ana Reyes (ana, ana@example.com) paused; tracker: will stop the timer; "
        "will tell the worker by email ana@example.com"
    )
    assert smtp_server.mails == [] and not engine.statuses()[0].paused
