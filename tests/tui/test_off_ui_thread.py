"""The detail and audit-log screens read nothing from disk on the UI thread.

The cache snapshot and the audit log are read by the refresh worker (the one
the main table uses); a commit's fsync elsewhere can then never stall a key
press. What the screens show still follows every refresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import FakeEngine, ana_history, screen_text

from farwatch.state import audit
from farwatch.tui.app import build_app
from farwatch.tui.screens.audit_log import AuditLogScreen
from farwatch.tui.screens.detail import DetailScreen

pytestmark = pytest.mark.anyio


def recording(calls: list[bool], func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread() is threading.main_thread())
        return func(*args, **kwargs)

    return wrapper


async def test_detail_and_audit_log_read_in_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkins, entries = ana_history()
    engine = FakeEngine(tmp_path, checkins=checkins, entries=entries)
    path = engine.settings.audit_file
    audit.append(path, audit.AuditEntry(action="ping", worker="ana", message="first nudge"))
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(100, 50)) as pilot:
        on_main: list[bool] = []
        monkeypatch.setattr(audit, "_load", recording(on_main, audit._load))
        monkeypatch.setattr(engine, "snapshot", recording(on_main, engine.snapshot))
        monkeypatch.setattr(engine, "refresh", recording(on_main, engine.refresh))

        app.open_detail("ana")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "first nudge" in screen_text(app)

        audit.append(path, audit.AuditEntry(action="ping", worker="ana", message="second nudge"))
        app.poller.rederive()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "second nudge" in screen_text(app)

        await pilot.press("escape", "l")
        assert isinstance(app.screen, AuditLogScreen)
        text = screen_text(app)
        assert text.index("second nudge") < text.index("first nudge")

        assert on_main, "the refresh read nothing at all"
        assert not any(on_main), "a screen read the cache or the audit log on the UI thread"


async def test_a_live_dashboard_reads_the_audit_log_after_its_first_frame_off_the_ui_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_fakes import FakeScheduler

    engine = FakeEngine(tmp_path)
    audit.append(
        engine.settings.audit_file,
        audit.AuditEntry(action="ping", worker="ana", message="nudged yesterday"),
    )
    on_main: list[bool] = []
    monkeypatch.setattr(audit, "_load", recording(on_main, audit._load))
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [e.message for e in app.audit_entries] == ["nudged yesterday"]
        assert on_main == [False]  # read once, by a worker thread
        await pilot.press("l")
        assert isinstance(app.screen, AuditLogScreen)
        assert "nudged yesterday" in screen_text(app)


async def test_the_default_scheduler_starts_from_the_health_already_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = FakeEngine(tmp_path)
    health_reads: list[bool] = []
    refreshes: list[bool] = []
    monkeypatch.setattr(engine, "health", recording(health_reads, engine.health))
    monkeypatch.setattr(engine, "refresh", recording(refreshes, engine.refresh))
    app = build_app(engine, display_zone=UTC)
    assert health_reads == []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.poller.scheduler is not None
        await app.workers.wait_for_complete()
        # the only health read is the one each refresh makes (the first gave the scheduler's)
        assert len(health_reads) == len(refreshes)
