"""Textual's internals farwatch relies on keep their shape, and the pin is the installed version.

Partial updates write only the dirty cells, and the screen ends up the same;
a cell written in place shows on screen. If a Textual upgrade moves any of the
internals ``farwatch.tui.textual_compat`` reaches into, these tests fail first.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey, RowKey
from tui_fakes import screen_text

from farwatch.tui.app import FarwatchApp
from farwatch.tui.textual_compat import (
    ChopsUpdate,
    QuietTable,
    TightChopsUpdate,
    TightDisplayApp,
    tighten,
)

WIDTH = 40
TOKEN = re.compile(r"\x1b\[(\d+);(\d+)H|\x1b\[[\d;]*m|(\n)|(.)", re.S)


def paint(screen: list[list[str]], output: str) -> list[list[str]]:
    """A tiny terminal: cursor moves and printable characters; styles ignored."""
    grid = [row[:] for row in screen]
    row = col = 0
    for move_row, move_col, newline, char in TOKEN.findall(output):
        if move_row:
            row, col = int(move_row) - 1, int(move_col) - 1
        elif newline:
            row, col = row + 1, 0
        elif char:
            grid[row][col] = char
            col += 1
    return grid


def two_line_update(spans: list[tuple[int, int, int]]) -> ChopsUpdate:
    bold = Style(bold=True)
    line0 = {
        0: Strip([Segment("Worker 0001  3 days   ", bold), Segment("00:41 ")], 28),
        28: Strip([Segment("side panel  ")], 12),
    }
    line1 = {
        0: Strip([Segment("Worker 0002  5 minutes", bold), Segment("00:41 ")], 28),
        28: Strip([Segment("more panel  ")], 12),
    }
    return ChopsUpdate([line0, line1], spans, [[28, WIDTH], [28, WIDTH]])


def test_a_cell_at_the_right_of_a_row_writes_that_cell_not_the_row() -> None:
    console = Console(width=WIDTH, color_system="truecolor", force_terminal=True)
    update = two_line_update([(0, 22, 28), (1, 13, 22)])
    textual_out = update.render_segments(console)
    tight_out = TightChopsUpdate.of(update).render_segments(console)

    assert "Worker" in textual_out  # what Textual writes: the row up to the cell
    assert "Worker" not in tight_out
    assert "00:41" in tight_out and "5 minutes" in tight_out
    assert len(tight_out) < len(textual_out) / 2

    before = [list("#" * WIDTH) for _ in range(2)]
    after_textual = paint(before, textual_out)
    after_tight = paint(before, tight_out)
    assert "".join(after_tight[0]) == "#" * 22 + "00:41 " + "#" * 12
    assert "".join(after_tight[1]) == "#" * 13 + "5 minutes" + "#" * 18
    for y, x1, x2 in update.spans:  # the dirty cells look exactly as Textual paints them
        assert after_tight[y][x1:x2] == after_textual[y][x1:x2]


def test_spans_across_two_widgets_and_whole_strips_are_written_once() -> None:
    console = Console(width=WIDTH, color_system="truecolor", force_terminal=True)
    update = two_line_update([(0, 0, WIDTH), (1, 20, 32)])
    before = [list("#" * WIDTH) for _ in range(2)]
    after = paint(before, TightChopsUpdate.of(update).render_segments(console))
    assert "".join(after[0]) == "Worker 0001  3 days   00:41 side panel  "
    assert "".join(after[1]) == "#" * 20 + "es00:41 more" + "#" * 8


def test_only_partial_updates_are_replaced() -> None:
    update = two_line_update([(0, 0, 4)])
    assert isinstance(tighten(update), TightChopsUpdate)
    assert tighten(None) is None
    full = object()
    assert tighten(full) is full


PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_textual_is_pinned_to_the_installed_version() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = [d for d in dependencies if d.replace(" ", "").startswith("textual==")]
    assert pins == ["textual==8.2.8"], "Textual must be pinned exactly (textual_compat)"
    assert version("textual") == "8.2.8", "installed Textual differs from the pin"


def test_chops_update_still_has_the_fields_tight_updates_read() -> None:
    names = list(inspect.signature(ChopsUpdate.__init__).parameters)
    assert names[1:4] == ["chops", "spans", "chop_ends"], names
    update = two_line_update([(0, 0, 4)])
    assert isinstance(update.chops[0], dict) and update.spans == [(0, 0, 4)]
    assert update.chop_ends == [[28, WIDTH], [28, WIDTH]]
    assert callable(getattr(ChopsUpdate, "render_segments", None))


def test_app_display_is_still_the_method_frames_pass_through() -> None:
    names = list(inspect.signature(App._display).parameters)
    assert names == ["self", "screen", "renderable"], names
    assert "_display" in TightDisplayApp.__dict__


def test_unhandled_errors_still_pass_through_handle_exception_and_exit_renderables() -> None:
    names = list(inspect.signature(App._handle_exception).parameters)
    assert names == ["self", "error"], names
    assert "self._exit_renderables" in inspect.getsource(App.__init__)
    assert "self._return_code = 1" in inspect.getsource(App._handle_exception)


rendered: list[str] = []


class Cell(Text):
    """Text that notes each time it is rendered."""

    def __rich_console__(self, console: Console, options: Any) -> Any:
        rendered.append(self.plain)
        yield from super().__rich_console__(console, options)


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        table: QuietTable[Text] = QuietTable()
        table.add_column("Name", key="name")
        table.add_column("Task", key="task")
        table.add_row(Cell("Ana"), Cell("before"), key="ana")
        table.add_row(Cell("Femi"), Cell("untouched"), key="femi")
        yield table


@pytest.mark.anyio
async def test_a_cell_put_in_place_shows_and_is_the_only_cell_rendered_again() -> None:
    app = OneTable()
    async with app.run_test(size=(40, 6)) as pilot:
        table: QuietTable[Text] = app.query_one(QuietTable)
        await pilot.pause()
        table.refresh()  # a paint after the resize that followed mounting: caches current
        await pilot.pause()
        assert isinstance(table._data, dict) and isinstance(table._update_count, int)
        assert table._data[RowKey("ana")][ColumnKey("task")].plain == "before"
        for cache in ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache"):
            assert len(getattr(table, cache)) > 0, cache  # filled by the first paint
        key = next(iter(table._cell_render_cache.keys()))
        assert isinstance(key[0], RowKey) and isinstance(key[1], ColumnKey)
        assert isinstance(next(iter(table._row_render_cache.keys()))[0], RowKey)
        assert isinstance(next(iter(table._row_renderable_cache.keys()))[1], int)
        rendered.clear()
        table.put_cell(RowKey("ana"), ColumnKey("task"), Cell("after"))
        table.refresh_coordinate(Coordinate(0, 1))
        table.refresh_coordinate(Coordinate(1, 1))  # a neighbour repaints from its cache
        await pilot.pause()
        assert table.get_cell("ana", "task").plain == "after"
        text = screen_text(app)
        assert "after" in text and "before" not in text and "untouched" in text
        assert rendered == ["after"]


def counted(refresh: Any, name: str, calls: list[str]) -> Any:
    """``refresh`` that also notes ``name`` in ``calls``."""

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return refresh(*args, **kwargs)

    return counting


class ScrollingTable(App[None]):
    def compose(self) -> ComposeResult:
        table: QuietTable[str] = QuietTable()
        table.add_column("Worker", key="worker", width=60)
        for n in range(30):
            table.add_row(f"Worker {n:02d}", key=str(n))
        yield table


@pytest.mark.anyio
async def test_a_toast_coming_and_going_does_not_repaint_the_tables_scrollbars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ScrollView._size_updated repaints both scrollbars on every layout pass of the
    screen; the steady table skips a pass that changed nothing, and still follows a
    table that grew."""
    app = ScrollingTable()
    async with app.run_test(size=(40, 10), notifications=True) as pilot:
        table = app.query_one(QuietTable)
        await pilot.pause()
        repaints: list[str] = []
        for bar in (table.vertical_scrollbar, table.horizontal_scrollbar):
            monkeypatch.setattr(bar, "refresh", counted(bar.refresh, bar.name or "", repaints))
        assert list(inspect.signature(ScrollView._size_updated).parameters) == [
            "self", "size", "virtual_size", "container_size", "layout",
        ]  # fmt: skip
        app.notify("Worker 07: no check-in for 2 hours", timeout=0.2)
        await pilot.pause(0.5)
        await pilot.pause()
        assert repaints == []
        table.add_row("Worker 30", key="30")
        await pilot.pause()
        assert "vertical" in repaints
        assert table.vertical_scrollbar.window_virtual_size == 31 + 1  # rows + header


@pytest.mark.anyio
async def test_page_down_in_the_palette_before_its_list_is_drawn_does_not_end_the_app(
    app: FarwatchApp,
) -> None:
    """Ctrl+P then Page Down faster than a frame: the commands are in, the list not drawn."""
    from textual.command import CommandList, CommandPalette

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        listing = palette.query_one(CommandList)
        listing.display = False  # as before its first layout: options, no lines
        await pilot.pause()
        listing.clear_options().add_options(["Ping Ana Reyes", "Pause Ana Reyes"])
        listing.highlighted = 0
        assert not listing._lines  # the shape the guard relies on
        await pilot.press("pagedown", "pageup")
        listing.display = True
        await pilot.pause()
        await pilot.press("pagedown")
        assert app.screen is palette
        assert listing.highlighted == listing.option_count - 1  # paging works once drawn
        await pilot.press("escape")
        assert app.is_running
