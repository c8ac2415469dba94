"""Pictures of the table and every dialog at 40×12, 60×20, 80×24 and 120×35.

What to look for in the SVGs: the state symbol and the worker name at the
left of every row; at 60 columns and below only state, name, age and burn;
every dialog inside the screen with its keys (or buttons and key line)
visible, its body scrolling instead. Regenerate with ``--snapshot-update``
after an intended change, and look at them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from test_snapshots import snapshot_app

SIZES = [(40, 12), (60, 20), (80, 24), (120, 35)]


async def settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def steady(pilot: Any) -> None:
    """Settle, with text cursors that do not blink (a blink makes every picture differ)."""
    await settle(pilot)
    for field in pilot.app.screen.query("Input, TextArea"):
        field.cursor_blink = False
    await settle(pilot)


async def main_table(pilot: Any) -> None:
    await settle(pilot)


async def compose(pilot: Any) -> None:
    await settle(pilot)  # the table is filled, as when the owner presses a key
    pilot.app.open_ping("ana")
    await steady(pilot)


async def bulk_ping(pilot: Any) -> None:
    await settle(pilot)  # the table is filled, as when the owner presses a key
    pilot.app.open_ping_stale()
    await steady(pilot)


async def pause(pilot: Any) -> None:
    await settle(pilot)  # the table is filled, as when the owner presses a key
    pilot.app.open_pause("ana")
    await steady(pilot)


async def resume(pilot: Any) -> None:
    await settle(pilot)  # the table is filled, as when the owner presses a key
    pilot.app.open_resume("jon")
    await steady(pilot)


SCREENS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "main": main_table,
    "compose": compose,
    "bulk": bulk_ping,
    "pause": pause,
    "resume": resume,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_at_every_size(
    snap_compare: Any, tmp_path: Path, screen: str, size: tuple[int, int]
) -> None:
    assert snap_compare(snapshot_app(tmp_path), run_before=SCREENS[screen], terminal_size=size)
