"""Pilot: at every size the owner can still tell whose row it is and how it stands."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tui_fakes import FakeEngine

from farwatch.tui.app import FarwatchApp, build_app

pytestmark = pytest.mark.anyio

SIZES = [(120, 35), (80, 24), (60, 20), (40, 12)]


def screen_lines(app: FarwatchApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def row_of(app: FarwatchApp, name: str) -> str:
    [line] = [line for line in screen_lines(app) if name in line]
    return line


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_over_cap_mark_and_the_name_stay_at_every_width(
    engine: FakeEngine, size: tuple[int, int]
) -> None:
    """Dara is over her cap with a running timer (66.1/60h): ✖ and her name always show."""
    engine.current = [
        replace(w, hours_used=66.1, cap_hours=60.0, burn=66.1 / 60, burn_level="over")
        if w.id == "dara"
        else w
        for w in engine.current
    ]
    app = build_app(engine, live=False)
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one("#workers")
        table.focus()
        await pilot.press(*["down"] * 12)  # Dara's row is on screen whatever the height
        await pilot.press("right", "right", "right", "right", "right")  # scroll sideways
        await pilot.pause()
        line = row_of(app, "Dara Singh")  # the name column is pinned
        assert "✖" in line
        if size[0] <= 60:
            assert "Task" not in screen_lines(app)[1]
