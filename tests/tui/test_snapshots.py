"""Pictures of every screen on a frozen clock and fixed data (pytest-textual-snapshot).

Regenerate after an intended visual change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import FakeEngine, ana_history

from farwatch.state import audit
from farwatch.tui.app import FarwatchApp, build_app


def snapshot_app(tmp_path: Path, **engine_args: Any) -> FarwatchApp:
    """No timers, no polls, no toasts: exactly the frame the fixed data describes."""
    checkins, entries = ana_history()
    engine = FakeEngine(tmp_path, checkins=checkins, entries=entries, **engine_args)
    path = engine.settings.audit_file
    from tui_fakes import NOW

    for minutes, action, worker, outcome, message in [
        (50, "threshold", "chen", "alert", "Chen Wei: overdue: no check-in for 4 hours"),
        (30, "ping", "chen", "sent", "Hi Chen, could you send a quick update?"),
        (10, "pause", "jon", "done", "Paused: over the agreed hours"),
        (5, "ping", "ana", "dry_run", "Reminder: invoices due Friday"),
    ]:
        from datetime import timedelta

        audit.append(
            path,
            audit.AuditEntry(
                action=action,
                worker=worker,
                outcome=outcome,
                message=message,
                channel="mailtos",
                time=NOW - timedelta(minutes=minutes),
                actor="owner@desk",
            ),
        )
    return build_app(engine, live=False, display_zone=UTC)


def test_main_120x40(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(120, 40))


def test_main_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(80, 24))


def test_main_grouped_and_filtered(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), press=["g", "slash", "a"], terminal_size=(120, 30))


def test_detail(snap_compare: Any, tmp_path: Path) -> None:
    async def open_ana(pilot: Any) -> None:
        pilot.app.open_detail("ana")
        await pilot.pause()

    assert snap_compare(snapshot_app(tmp_path), run_before=open_ana, terminal_size=(100, 50))


def test_sources(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(
        snapshot_app(tmp_path), press=["s", "down", "down"], terminal_size=(120, 24)
    )


def test_audit_log(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), press=["l"], terminal_size=(120, 24))


def test_help(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), press=["question_mark"], terminal_size=(100, 40))


def test_read_only_header(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path, read_only=True), terminal_size=(120, 16))


@pytest.mark.parametrize(
    "theme", ["farwatch-dark", "farwatch-light", "farwatch-high-contrast", "nord"]
)
def test_theme(snap_compare: Any, tmp_path: Path, theme: str) -> None:
    async def use_theme(pilot: Any) -> None:
        pilot.app.theme = theme
        await pilot.pause()

    assert snap_compare(snapshot_app(tmp_path), run_before=use_theme, terminal_size=(120, 20))
