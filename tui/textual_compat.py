"""Every place farwatch reaches into Textual's private internals, in one module.

Textual's public API has no way to do these things, and each one is
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
- ``App._handle_exception(error)`` and ``App._exit_renderables``: Textual
  prints an unhandled error's traceback with local variables (settings,
  addresses, tokens) after restoring the terminal. ``CrashHookApp`` lets the
  app save a redacted report first (``on_unhandled_error``) and drops that
  printout; the exit code stays 1.
- ``ScrollView._size_updated(size, virtual_size, container_size, layout)``:
  called for every scrollable widget on every layout pass of the screen. It
  compares the container size it is given with its own size less the gutter,
  which never match for a table with scrollbars, so each pass repaints both
  scrollbars — a toast appearing or going repainted the table's right column
  and bottom row, thousands of bytes for nothing. ``QuietTable`` skips the
  pass when nothing it is given has changed since the last one.
- ``DataTable._data`` (row key → column key → cell) and the render caches
  ``_cell_render_cache`` (keys start with row key, column key),
  ``_row_render_cache`` (keys start with the row key),
  ``_row_renderable_cache`` (keys ``(update count, row index)``) and
  ``_line_cache``: ``DataTable.update_cell`` repaints the whole table, and
  bumping ``_update_count`` (how Textual forgets a changed cell) throws away
  every cell's rendering, so repainting one cell re-renders its whole row.
  ``QuietTable.put_cell`` writes the cell in place and forgets only that
  cell's renderings before the next paint; the caller repaints just that cell.
- ``CommandPalette._action_command_list(action)`` and ``OptionList._lines``:
  Page Down/Up in the palette reach ``OptionList._move_page``, which raises
  ``KeyError`` when the list has options but no laid-out lines yet (Ctrl+P
  then Page Down faster than a frame: the commands arrived, the list was not
  drawn), ending the dashboard. ``SteadyCommandPalette`` ignores a page move
  until the list has lines.
- ``textual.keys._character_to_key(character)``: how Textual names the key
  that types a character (``?`` is ``question_mark``), the name a keymap
  entry is compared by; ``key_names`` uses it so ``farwatch check`` finds two
  bindings on one key however each was written.
"""

from __future__ import annotations

from typing import Any, TypeVar

from rich.console import Console, RenderableType
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.app import App
from textual.cache import LRUCache
from textual.command import CommandList, CommandPalette
from textual.geometry import Region, Size
from textual.keys import _character_to_key
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

CellType = TypeVar("CellType")


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


class CrashHookApp(TightDisplayApp):
    """An app told about an unhandled error before Textual shuts down on it."""

    def on_unhandled_error(self, error: Exception) -> None:
        """Record ``error`` somewhere safe (subclasses); the terminal is still in app mode."""

    def _handle_exception(self, error: Exception) -> None:
        self.on_unhandled_error(error)
        super()._handle_exception(error)
        self._exit_renderables.clear()  # the traceback with locals is not printed


def key_names(keys: str) -> set[str]:
    """The keys a binding's ``"a, ctrl+b"`` string binds, as Textual names them."""
    names = (key.strip() for key in keys.split(","))
    return {_character_to_key(key) if len(key) == 1 else key.lower() for key in names if key}


class SteadyCommandPalette(CommandPalette):
    """Textual's command palette, minus a crash on Page Down before its list is drawn."""

    def _action_command_list(self, action: str) -> None:
        if action.startswith("page_") and not self.query_one(CommandList)._lines:
            return  # options not laid out yet: nothing to page through
        super()._action_command_list(action)


class PaletteApp(CrashHookApp):
    """An app whose Ctrl+P opens ``SteadyCommandPalette``."""

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(SteadyCommandPalette(id="--command-palette"))


class QuietTable(DataTable[CellType]):
    """A ``DataTable`` that repaints and re-renders only what changed.

    Its scrollbars repaint only when its geometry changed, and a cell written
    with ``put_cell`` is the only one rendered again.
    """

    _last_geometry: tuple[Size, Size, Size, Size] | None = None
    _stale_cells: set[tuple[RowKey, ColumnKey]] | None = None

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        geometry = (size, virtual_size, container_size, self.virtual_size)
        if geometry == self._last_geometry:
            # What ScrollView answers when only the pass repeats: no new size.
            return bool(self._container_size != container_size)
        self._last_geometry = geometry
        return super()._size_updated(size, virtual_size, container_size, layout)

    def put_cell(self, row_key: RowKey, column_key: ColumnKey, value: CellType) -> None:
        """Set one cell without ``update_cell``'s full repaint; the caller repaints the cell."""
        self._data[row_key][column_key] = value
        if self._stale_cells is None:
            self._stale_cells = set()
        self._stale_cells.add((row_key, column_key))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._forget_stale_cells()
        return super().render_lines(crop)

    def _forget_stale_cells(self) -> None:
        """Drop the cached renderings of every cell written since the last paint."""
        stale = self._stale_cells
        if not stale:
            return
        # Keys are compared by their text (``key.value or key``: a key without text
        # compares as itself): a StringKey hashes in Python, a str in C, and every
        # key of every cached cell is looked at.
        cells = {(row.value or row, column.value or column) for row, column in stale}
        rows = {row for row, _ in cells}
        indexes = {self._row_locations.get(row) for row, _ in stale}
        doomed = []
        for key in self._cell_render_cache.keys():  # noqa: SIM118 (an LRUCache, not a dict)
            row = key[0].value or key[0]
            if row in rows and (row, key[1].value or key[1]) in cells:
                doomed.append(key)
        _discard(self._cell_render_cache, doomed)
        row_cache, renderables = self._row_render_cache, self._row_renderable_cache
        _discard(row_cache, [k for k in row_cache.keys() if (k[0].value or k[0]) in rows])  # noqa: SIM118
        _discard(renderables, [k for k in renderables.keys() if k[1] in indexes])  # noqa: SIM118
        self._line_cache.clear()
        stale.clear()


def _discard(cache: LRUCache[Any, Any], keys: list[Any]) -> None:
    """Remove ``keys`` from ``cache`` (Textual's LRU cache has no filter)."""
    for key in keys:
        cache.discard(key)
