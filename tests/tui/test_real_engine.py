"""The dashboard over a real Engine: a roster CSV polled through the real scheduler."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable
from tui_fakes import screen_text

from farwatch.state.engine import Engine
from farwatch.state.settings import CacheSettings, Settings, SourceSettings, UiSettings
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.sources import SourcesScreen
from farwatch.tui.widgets.worker_table import WorkerTable

pytestmark = pytest.mark.anyio

ROSTER = """name,email,task,cap_hours,cap_period,timezone,hours,days,category
Ana Reyes,ana@example.com,Reconcile invoices,40,week,Asia/Manila,09:00-17:00,Mon-Fri,VA
Ben Okafor,ben@example.com,Market research,20,week,Africa/Lagos,09:00-17:00,Mon-Fri,KPO
"""


def make_engine(tmp_path: Path) -> Engine:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    settings = Settings(
        path=None,
        cache=CacheSettings(path=tmp_path / "cache" / "farwatch.db"),
        sources=(
            SourceSettings(
                type="sheet", name="roster", interval=3600.0, options={"path": str(roster)}
            ),
        ),
        ui=UiSettings(bell=False),
        audit_path=tmp_path / "audit.jsonl",
    )
    engine = Engine(settings)
    engine.open()
    return engine


async def wait_for_rows(app: FarwatchApp, count: int) -> WorkerTable:
    table = app.screen.query_one(WorkerTable)
    for _ in range(100):
        await app.workers.wait_for_complete()
        await asyncio.sleep(0.02)
        if table.row_count == count:
            break
    return table


async def test_first_poll_fills_the_table_and_poll_now_picks_up_roster_changes(
    tmp_path: Path,
) -> None:
    engine = make_engine(tmp_path)
    try:
        app = build_app(engine, display_zone=UTC)
        async with app.run_test(size=(120, 40)) as pilot:
            table = await wait_for_rows(app, 2)
            assert table.row_count == 2
            first_keys = [r.key.value for r in table.ordered_rows]
            text = screen_text(app)
            assert "Ana Reyes" in text and "Ben Okafor" in text and "2 workers" in text
            (tmp_path / "roster.csv").write_text(
                ROSTER + "Chen Wei,chen@example.com,Support,30,week,Asia/Shanghai,"
                "09:00-17:00,Mon-Fri,TSO\n"
            )
            await pilot.press("u")
            table = await wait_for_rows(app, 3)
            assert table.row_count == 3
            assert set(first_keys) <= {r.key.value for r in table.ordered_rows}
            assert "Chen Wei" in screen_text(app)
            await pilot.press("s")
            assert isinstance(app.screen, SourcesScreen)
            sources = app.screen.query_one("#sources", DataTable)
            assert sources.get_cell("roster", "type").plain == "sheet"
            assert sources.get_cell("roster", "success").plain == "just now"
            assert sources.get_cell("roster", "failures").plain == "0"
    finally:
        engine.close()


async def test_a_skipped_roster_row_shows_as_a_header_badge_and_on_the_sources_screen(
    tmp_path: Path,
) -> None:
    engine = make_engine(tmp_path)
    (tmp_path / "roster.csv").write_text(
        ROSTER + "Cy Park,cy@example.com,Calls,10,week,Asia/Manilla,09:00-17:00,Mon-Fri,VA\n"
    )
    try:
        app = build_app(engine, display_zone=UTC)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_rows(app, 2)
            for _ in range(100):
                if "△ 1 warning" in screen_text(app):
                    break
                await asyncio.sleep(0.02)
            assert "△ 1 warning" in screen_text(app)
            await pilot.press("s")
            assert isinstance(app.screen, SourcesScreen)
            sources = app.screen.query_one("#sources", DataTable)
            assert sources.get_cell("roster", "warnings").plain == "1"
            await pilot.pause()
            assert "line 4: timezone 'Asia/Manilla' unknown (did you mean" in screen_text(app)
    finally:
        engine.close()


async def test_a_worker_reaching_the_cap_is_auto_paused_once_and_the_owner_told(
    tmp_path: Path,
) -> None:
    from datetime import datetime, timedelta

    from farwatch.state import audit
    from farwatch.state.settings import Policy

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,task,cap_hours,cap_period,timezone,hours,days\n"
        "Ana Reyes,ana@example.com,Invoices,2,task,UTC,00:00-24:00,daily\n"
    )
    start = datetime.now(UTC) - timedelta(hours=3)
    timesheet = tmp_path / "time.csv"
    timesheet.write_text(f"worker,start,end,task\nana@example.com,{start.isoformat()},,Invoices\n")
    settings = Settings(
        path=None,
        cache=CacheSettings(path=tmp_path / "cache" / "farwatch.db"),
        sources=(
            SourceSettings(
                type="sheet", name="roster", interval=3600.0, options={"path": str(roster)}
            ),
            SourceSettings(
                type="timesheet", name="hours", interval=3600.0, options={"path": str(timesheet)}
            ),
        ),
        policy=Policy(auto_pause_at_cap=True),
        ui=UiSettings(bell=False),
        audit_path=tmp_path / "audit.jsonl",
    )
    engine = Engine(settings)
    engine.open()
    try:
        app = build_app(engine, display_zone=UTC)
        shown: list[str] = []  # every toast, even one that expired before we looked
        notify = app.notify

        def recording_notify(message: str, **options: Any) -> None:
            shown.append(message)
            notify(message, **options)

        app.notify = recording_notify  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_rows(app, 1)
            deadline = time.monotonic() + 20
            toast = "Auto-paused Ana Reyes: reached the cap"
            while time.monotonic() < deadline and toast not in shown:
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
            toasted = toast in shown
            await pilot.press("u")  # a second poll must not pause again
            await app.workers.wait_for_complete()
            await pilot.pause()
            paused = [
                e for e in audit.read_entries(settings.audit_file) if e.action == "auto_pause"
            ]
            assert [e.worker for e in paused] == ["ana-reyes"]
            assert "ana-reyes" in audit.paused_workers(settings.audit_file)
            assert toasted, shown
    finally:
        engine.close()
