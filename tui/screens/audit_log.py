"""The audit log: every action and alert, newest first, filterable by worker.

The entries are the app's ``audit_entries``, read by the refresh worker thread
(``farwatch.tui.polling``), so a slow disk never stalls this screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from farwatch.tui.screens.base import FarwatchScreen
from farwatch.tui.widgets.keybar import KeyBar
from farwatch.tui.widgets.keyed import KeyedText, order_by
from farwatch.tui.widgets.safe import clean, safe_text

MAX_ROWS = 500


def entry_cells(entry: Any, names: dict[str, str], zone: Any) -> list[Text]:
    when: datetime = entry.time
    worker = names.get(entry.worker, entry.worker)
    return [
        Text(when.astimezone(zone).strftime("%m-%d %H:%M")),
        safe_text(worker, limit=24),
        safe_text(entry.action, "bold", limit=14),
        safe_text(entry.outcome, limit=12),
        safe_text(entry.channel, limit=16),
        safe_text(entry.message or entry.detail, limit=160),
    ]


class AuditLogScreen(FarwatchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "filter", "Filter by worker", id="log_filter"),
    ]

    def __init__(self, worker: str | None = None) -> None:
        super().__init__()
        self.worker_filter = worker or ""
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Audit log (newest first)", style="bold"), classes="screen-title")
        yield Input(value=self.worker_filter, placeholder="worker name or id", id="log-filter")
        yield Static("", id="log-no-match", markup=False)
        table: DataTable[Text] = DataTable(id="log", cursor_type="row")
        for key, label in (
            ("time", "Time"),
            ("worker", "Worker"),
            ("action", "Action"),
            ("outcome", "Outcome"),
            ("channel", "Channel"),
            ("message", "Message"),
        ):
            table.add_column(label, key=key)
        yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#log-filter", Input).display = bool(self.worker_filter)
        self.query_one("#log-no-match", Static).display = False
        self.query_one("#log", DataTable).focus()

    def on_data(self) -> None:
        fw = self.fw
        names = {s.id: clean(s.name, 60) for s in fw.statuses}
        needle = self.worker_filter.casefold()
        entries = [
            e
            for e in fw.audit_entries
            if not needle
            or needle in e.worker.casefold()
            or needle in names.get(e.worker, "").casefold()
        ][:MAX_ROWS]
        self._say_if_nothing_matches(bool(entries))
        ids = [e.id for e in entries]
        if ids == self._shown:
            return
        table: DataTable[Text] = self.query_one("#log", DataTable)
        wanted = set(ids)
        with self.app.batch_update():
            for key in self._shown:
                if key not in wanted:
                    table.remove_row(key)
            present = set(self._shown) & wanted
            for entry in entries:
                if entry.id not in present:
                    cells = entry_cells(entry, names, fw.display_zone)
                    cells[0] = KeyedText(cells[0], entry.id)
                    table.add_row(*cells, key=entry.id)
            position = {key: i for i, key in enumerate(ids)}
            table.sort("time", key=order_by(position))
        self._shown = ids

    def _say_if_nothing_matches(self, any_shown: bool) -> None:
        """An empty table under a filter says why, as the main table's filter does."""
        note = self.query_one("#log-no-match", Static)
        note.display = bool(self.worker_filter) and not any_shown
        if note.display:
            shown = clean(self.worker_filter, 60)
            note.update(f"No entry matches the filter {shown!r}; Esc clears it")

    def action_filter(self) -> None:
        box = self.query_one("#log-filter", Input)
        box.display = True
        box.focus()

    def action_back(self) -> None:
        """Esc clears a filter being typed, or one that matches nothing; else goes back."""
        box = self.query_one("#log-filter", Input)
        if box.value and (box.has_focus or not self._shown):
            box.value = ""
            return
        self.app.pop_screen()

    @on(Input.Changed, "#log-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.worker_filter = event.value.strip()
        self.on_data()

    @on(Input.Submitted, "#log-filter")
    def _submitted(self) -> None:
        self.query_one("#log", DataTable).focus()
