"""Every place farwatch reaches into Textual's private internals, in one module.

Textual's public API has no way to do these three things, and each one is
worth bytes on the wire or work per tick on a dashboard left open all day
over SSH. Textual is pinned exactly in pyproject.toml, and
``tests/tui/test_textual_compat.py`` fails loudly if any of these shapes moves,
so an upgrade is a deliberate change, not a silent breakage.

- ``textual._compositor.ChopsUpdate`` (fields ``chops``, ``spans``,
  ``chop_ends``; constructor ``(chops, spans, chop_ends)``): a partial screen
  update. It writes each dirty span from the left edge of the widget that owns
  it, so repainting the five-character "Local" column of a 120-column table
  rewrites the whole row; once a minute, across a screen of rows, that was
  most of the idle output. ``TightChopsUpdate`` crops each strip to the dirty
  span itself: the screen looks the same, the terminal gets a tenth of the bytes.
- ``App._display(screen, renderable)``: the one method every frame passes
  through on its way to the terminal. ``TightDisplayApp`` overrides it to swap
  a plain ``ChopsUpdate`` for a tight one.
- ``DataTable._data`` (row key → column key → cell) and
  ``DataTable._update_count`` (bumped to invalidate the render caches):
  ``DataTable.update_cell`` repaints the whole table, so ``put_cell`` writes
  the cell in place and lets the caller repaint just that cell.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class TightChopsUpdate(ChopsUpdate):
    """A ``ChopsUpdate`` whose output starts at each span's first column."""

    @classmethod
    def of(cls, update: ChopsUpdate) -> TightChopsUpdate:
        return cls(update.chops, update.spans, update.chop_ends)

    def render_segments(self, console: Console) -> str:
        """Cursor moves and styled text for exactly the dirty spans."""
        out: list[str] = []
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
                if strip is None or x >= x2 or end <= x1:
                    continue
                start, stop = max(x, x1), min(end, x2)
                if (start, stop) != (x, end):
                    strip = strip.crop(start - x, stop - x)
                out.append(Control.move_to(start, y).segment.text)
                out.append(strip.render(console))
            if y != last_y:
                out.append("\n")
        return "".join(out)


def tighten(renderable: object) -> object:
    """``renderable`` with a plain ``ChopsUpdate`` replaced by a tight one."""
    if type(renderable) is ChopsUpdate:
        return TightChopsUpdate.of(renderable)
    return renderable


class TightDisplayApp(App[None]):
    """An app whose partial updates write only the changed cells."""

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, tighten(renderable))  # type: ignore[arg-type]


def put_cell(table: DataTable[Any], row_key: RowKey, column_key: ColumnKey, value: Any) -> None:
    """Set one cell without ``update_cell``'s full repaint; the caller repaints the cell."""
    table._data[row_key][column_key] = value
    table._update_count += 1  # invalidates DataTable's render caches
