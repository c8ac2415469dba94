"""A dashboard's engine beside a ``farwatch poll`` daemon: it reads, never writes, and
sees each new check-in and timer the daemon stores."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from local_team import LocalTeam, Poller, start_poller

from farwatch.state.config import load_settings
from farwatch.state.engine import Engine, EngineError
from farwatch.state.status import WorkerStatus


def by_email(engine: Engine) -> dict[str, WorkerStatus]:
    return {s.email: s for s in engine.statuses()}


def reload_until(
    engine: Engine, ready: str, check: Callable[[dict[str, WorkerStatus]], bool]
) -> None:
    """Reload as the dashboard's refresh does until ``check(statuses)`` holds."""
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        engine.reload()
        if check(by_email(engine)):
            return
        time.sleep(0.1)
    raise AssertionError(f"the reader never saw {ready}: {by_email(engine)}")


def test_reader_engine_sees_what_a_separate_poller_keeps_writing(
    team: LocalTeam, pollers: list[Poller]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(minutes=40)
    team.deliver("Ana Reyes <ana@example.com>", "Check-in: invoices", first, "<a1@example.com>")
    writer = start_poller(team, pollers)
    mark = writer.wait_polled_all()

    engine = Engine(load_settings(team.config))
    engine.open()  # as the dashboard does: asks to write, gets read-only
    try:
        assert engine.read_only
        assert engine.lock_holder is not None
        assert engine.lock_holder.startswith(f"pid {writer.pid} on ")
        assert "(farwatch poll)" in engine.lock_holder
        with pytest.raises(EngineError, match="read-only"):
            engine.poll_all()
        ana = by_email(engine)["ana@example.com"]
        assert ana.last_checkin == first
        assert ana.checkins_total == 1

        # A new check-in lands in the Maildir; the daemon stores it; the reader sees it.
        second = now - timedelta(minutes=2)
        team.deliver("Ana Reyes <ana@example.com>", "Check-in: payroll", second, "<a2@example.com>")
        reload_until(
            engine, "Ana's second check-in", lambda s: s["ana@example.com"].last_checkin == second
        )
        ana = by_email(engine)["ana@example.com"]
        assert ana.last_checkin_subject == "Check-in: payroll"
        assert ana.checkins_total == 2

        # Ben starts a timer in the time log: the reader shows it running.
        assert not by_email(engine)["ben@example.com"].running
        team.log_time("ben@example.com", now - timedelta(minutes=30), None, "QA pass")
        reload_until(engine, "Ben's running timer", lambda s: s["ben@example.com"].running)
        ben = by_email(engine)["ben@example.com"]
        assert ben.task == "QA pass"
        assert ben.hours_used >= 0.5

        # Nothing changed on disk since the last reload: a refresh costs nothing.
        writer_lines = len(writer.lines)
        code, stderr = writer.stop()
        assert code == 0, stderr
        assert len(writer.lines) >= writer_lines > mark
        engine.reload()
        assert engine.reload() is False
    finally:
        engine.close()
    assert team.leftovers() == []
