"""Pilot: ``x`` asks before pausing; ``y`` pauses, stops the timer and tells the worker."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from textual.widgets import Input

from farwatch.sources.model import RosterRow
from farwatch.state import audit
from farwatch.state.snapshot import CacheSnapshot
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.confirm import ConfirmScreen
from tests.servers.nudge_kit import (
    FakeEngine,
    SmtpServer,
    StopSource,
    free_port,
    make_settings,
    running_entry,
)

from .test_compose_screen import screen_text, select, settle, team, toasts

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_app(tmp_path: Path, smtp: SmtpServer) -> tuple[FarwatchApp, FakeEngine, StopSource]:
    engine = FakeEngine(make_settings(tmp_path, email=smtp.url()), team())
    tracker = StopSource("clockify")
    engine.sources["clockify"] = tracker
    engine.snap = CacheSnapshot(
        roster={
            "sheet": [
                RosterRow(
                    worker_id="ana", name="Ana Reyes", email="ana@example.com", tracker_id="u-ana"
                )
            ]
        },
        entries={"clockify": [running_entry("u-ana")]},
    )
    return build_app(engine, live=False, display_zone=UTC), engine, tracker


def confirm_text(app: FarwatchApp) -> str:
    region = app.screen.query_one("#confirm-box").region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    text = " ".join(line[region.x : region.right] for line in lines)
    return " ".join(text.replace("│", " ").split())  # wrapped lines read as one


async def test_pause_asks_first_then_stops_the_timer_and_tells_the_worker(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, engine, tracker = make_app(tmp_path, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        shown = confirm_text(app)
        assert "Pause Ana Reyes?" in shown
        assert "clockify: will stop the timer" in shown and "would" not in shown
        assert tracker.calls == [] and not engine.settings.audit_file.exists()  # only asked
        app.screen.query_one("#confirm-reason", Input).value = "Cap reached for March."
        await pilot.press("y")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("paused Ana Reyes" in t and "timer stopped" in t for t in toasts(app))
    assert tracker.calls == ["u-ana"]
    assert "ana" in audit.paused_workers(engine.settings.audit_file)
    [mail] = smtp_server.mails
    assert "Cap reached for March." in mail.body
    assert engine.statuses()[0].paused


async def test_n_backs_out_and_nothing_happens(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, engine, tracker = make_app(tmp_path, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert tracker.calls == [] and smtp_server.mails == []
    assert audit.paused_workers(engine.settings.audit_file) == {}


async def test_resume_with_confirmation(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, engine, _ = make_app(tmp_path, smtp_server)
    audit.append(
        engine.settings.audit_file,
        audit.AuditEntry(action="pause", worker="ana", outcome="done", time=engine.now),
    )
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Resume Ana Reyes?" in confirm_text(app)
        await pilot.press("enter")  # the Resume button has focus
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("resumed Ana Reyes" in t for t in toasts(app))
    assert audit.paused_workers(engine.settings.audit_file) == {}
    assert "continue" in smtp_server.mails[0].subject


async def test_a_failed_notice_is_an_error_toast_but_the_pause_stands(tmp_path: Path) -> None:
    down = f"mailto://owner@127.0.0.1:{free_port()}?from=owner@example.com&mode=insecure"
    engine = FakeEngine(make_settings(tmp_path, email=down), team())
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("telling the worker failed" in m for m in errors)
    assert "ana" in audit.paused_workers(engine.settings.audit_file)
