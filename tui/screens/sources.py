"""Source health: is each source working, when did it last succeed, what failed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from farwatch.sources.base import ErrorKind, SourceError
from farwatch.sources.explain import explain
from farwatch.state.snapshot import SourceHealth
from farwatch.tui.cells import cell_signature, humanize_age
from farwatch.tui.palette import Palette
from farwatch.tui.screens.base import FarwatchScreen
from farwatch.tui.widgets.keybar import KeyBar
from farwatch.tui.widgets.safe import safe_text

COLUMNS = (
    ("state", " "),
    ("name", "Source"),
    ("type", "Type"),
    ("success", "Last success"),
    ("failures", "Fails"),
    ("next", "Next poll"),
    ("requests", "Requests"),
    ("unmatched", "Unmatched"),
    ("error", "Last error"),
)


def _when(at: datetime | None, now: datetime, *, future: bool = False) -> str:
    if at is None:
        return "never" if not future else "—"
    seconds = (at - now).total_seconds() if future else (now - at).total_seconds()
    if future:
        if seconds <= 0:
            return "now"
        return f"in {int(seconds)} s" if seconds < 60 else f"in {humanize_age(seconds)}"
    return "just now" if seconds < 60 else f"{humanize_age(seconds)} ago"


def health_cells(health: SourceHealth, now: datetime, palette: Palette) -> list[Text]:
    """One row of the source table (errors and names are untrusted text)."""
    if health.consecutive_failures:
        state = Text("✖", style=palette.get("state-alert-bold"))
    elif health.last_success is None:
        state = Text("?", style=palette.get("state-never"))
    else:
        state = Text("●", style=palette.get("state-ok"))
    error = Text("")
    if health.last_error:
        title = health.last_error_title or "error"
        error = safe_text(f"{title}: {health.last_error}", palette.get("state-alert"), limit=120)
        if health.last_error_at is not None:
            error.append(f" ({_when(health.last_error_at, now)})", style="dim")
    return [
        state,
        safe_text(health.name, limit=30),
        safe_text(health.type, limit=12),
        Text(_when(health.last_success, now)),
        Text(str(health.consecutive_failures)),
        Text(_when(health.next_poll, now, future=True)),
        Text(str(health.requests)),
        Text(str(health.unmatched), style=palette.get("state-warn") if health.unmatched else ""),
        error,
    ]


class SourcesScreen(FarwatchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("u", "poll_selected", "Poll now", id="poll_source", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text("Sources", style="bold"), id="title", classes="screen-title")
        table: DataTable[Text] = DataTable(id="sources", cursor_type="row")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(id="source-error", markup=False)
        yield KeyBar()

    def on_data(self) -> None:
        table = self.query_one("#sources", DataTable)
        fw = self.fw
        wanted = {h.name: h for h in fw.health}
        for row in list(table.rows):
            if row.value not in wanted:
                table.remove_row(row)
        for name, health in wanted.items():
            cells = health_cells(health, fw.now, fw.palette)
            if name in {r.value for r in table.rows}:
                for (key, _), cell in zip(COLUMNS, cells, strict=True):
                    if cell_signature(table.get_cell(name, key)) != cell_signature(cell):
                        table.update_cell(name, key, cell)
            else:
                table.add_row(*cells, key=name)

        self._show_error()

    def on_tick(self) -> None:
        self.on_data()

    def on_data_table_row_highlighted(self) -> None:
        self._show_error()

    def on_mount(self) -> None:
        super().on_mount()
        failing = [i for i, h in enumerate(self.fw.health) if h.consecutive_failures]
        if failing:  # open on what needs attention, so its whole error shows at once
            self.query_one("#sources", DataTable).move_cursor(row=failing[0])

    def _show_error(self) -> None:
        """The selected source's whole last error and what to do, wrapped (the table cuts it)."""
        name = self.selected_source()
        health = next((h for h in self.fw.health if h.name == name), None)
        text = Text()
        if health is not None and health.last_error:
            text.append_text(safe_text(health.name, "bold", limit=30))
            text.append(" — ")
            text.append_text(safe_text(health.last_error_title or "error", "bold", limit=60))
            text.append(": ")
            message = safe_text(health.last_error, self.fw.palette.get("state-alert"), limit=600)
            message.no_wrap = False
            text.append_text(message)
            if health.consecutive_failures:
                kind = cast(ErrorKind, health.last_error_kind or "unknown")
                text.append("\n")
                text.append(explain(SourceError(health.last_error, kind=kind)), style="italic")
        elif health is not None:
            text.append(f"{health.name}: no errors", style="dim")
        self.query_one("#source-error", Static).update(text)

    def selected_source(self) -> str | None:
        table = self.query_one("#sources", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_poll_selected(self) -> None:
        name = self.selected_source()
        if name is not None:
            self.fw.poll_now([name])
