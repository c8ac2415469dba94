"""Text from sources is shown literally: no markup, no escape sequences, no crash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest
from tui_fakes import FakeEngine, health, screen_text, status

from farwatch.state import audit
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.detail import DetailScreen, contact_lines
from farwatch.tui.screens.main import MainScreen
from farwatch.tui.widgets.safe import safe_text
from farwatch.tui.widgets.worker_table import WorkerTable

pytestmark = pytest.mark.anyio

CLICK = "[@click=app.quit]Boss[/]"
CLOSE = "[/]"
OSC_TITLE = "\x1b]0;pwned\x07Eve\x1b[31m Red"
BIDI = "\u202eevil\u202c txt"
LONG = "A" * 10_000
EMOJI = "👩‍💻 Dev Ops"
CJK = "王小明"


def hostile_team() -> list:
    return [
        status(
            "click", CLICK, task=CLICK, subject=CLICK, category="[b]VA", age_hours=5, level="alert"
        ),
        status("close", CLOSE, task=CLOSE, subject=CLOSE, age_hours=4, level="alert"),
        status("osc", OSC_TITLE, task=OSC_TITLE, subject=OSC_TITLE, age_hours=3, level="warn"),
        status("bidi", BIDI, task=BIDI, age_hours=2, level="warn"),
        status("long", LONG, task=LONG, subject=LONG, age_hours=1),
        status("emoji", EMOJI, task="🚀 launch 🚀", age_hours=0.5),
        status("cjk", CJK, task="翻訳チェック", age_hours=0.2),
    ]


def hostile_engine(tmp_path: Path) -> FakeEngine:
    rows = health()
    rows[2] = replace(rows[2], name="clock[/]ify", last_error=f"{CLICK} {OSC_TITLE}")
    return FakeEngine(tmp_path, hostile_team(), health_rows=rows)


def test_safe_text_strips_controls_and_never_parses_markup() -> None:
    assert safe_text(CLICK).plain == CLICK
    assert safe_text(OSC_TITLE).plain == "Eve Red"
    assert safe_text(BIDI).plain == "evil txt"
    assert "\u200d" not in safe_text(EMOJI).plain
    assert safe_text("a\nb\tc").plain == "a b c"
    assert safe_text("\x9b31mX").plain == "X"  # 8-bit CSI
    long = safe_text(LONG)
    assert len(long.plain) <= 400 and long.plain.endswith("…")
    assert safe_text(CLICK).spans == []


async def test_hostile_rows_render_literally_and_clicks_do_nothing(tmp_path: Path) -> None:
    app = build_app(hostile_engine(tmp_path), live=False, display_zone=UTC)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one(WorkerTable)
        assert table.get_cell("click", "name").plain == CLICK
        assert table.get_cell("close", "task").plain == CLOSE
        assert table.get_cell("osc", "name").plain == "Eve Red"
        assert table.get_cell("bidi", "name").plain == "evil txt"
        text = screen_text(app)
        assert "\x1b" not in text and "\u202e" not in text
        assert "[@click=app.quit]" in text
        assert CJK in text and "Eve Red" in text
        # Click every row's name and task cells: nothing happens but selection.
        for row in range(table.row_count):
            await pilot.click(WorkerTable, offset=(8, row + 1))
            await pilot.click(WorkerTable, offset=(70, row + 1))
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, (MainScreen, DetailScreen))


async def test_hostile_detail_sources_log_and_palette(tmp_path: Path) -> None:
    engine = hostile_engine(tmp_path)
    audit.append(
        engine.settings.audit_file,
        audit.AuditEntry(action="ping", worker="click", outcome="sent", message=CLICK),
    )
    app: FarwatchApp = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_detail("long")
        await pilot.pause()
        text = screen_text(app)
        assert "AAAA" in text and "…" in text
        await pilot.press("escape")
        app.open_detail("click")
        await pilot.pause()
        assert CLICK in screen_text(app)
        await pilot.click(offset=(6, 0))
        await pilot.press("escape", "s")
        await pilot.pause()
        text = screen_text(app)
        assert "clock[/]ify" in text and "[@click=app.quit]" in text
        await pilot.press("escape", "l")
        await pilot.pause()
        assert CLICK in screen_text(app)
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"Ping")
        await pilot.pause(0.3)
        assert app.is_running
        assert "[@click=app.quit]" in screen_text(app)


def test_the_detail_names_the_im_channel_and_never_shows_an_old_url_cell() -> None:
    named = contact_lines(status("ana", "Ana Reyes", im="telegram:@ana_reyes")).plain
    assert named.endswith("IM     telegram:@ana_reyes")
    old = contact_lines(status("ana", "Ana Reyes", im="tgram://bottoken123/chat")).plain
    assert "refused" in old and "bottoken123" not in old and "tgram" not in old
