"""The main screen: the live worker table, header summary, filter and footer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input

from farwatch.state.cadence import Reminder
from farwatch.state.status import WorkerStatus
from farwatch.state.text import strip_control
from farwatch.tui.ordering import SORT_LABELS, SORT_MODES, SortMode, summary
from farwatch.tui.screens.base import FarwatchScreen
from farwatch.tui.widgets.header import FarwatchHeader
from farwatch.tui.widgets.keybar import KeyBar
from farwatch.tui.widgets.worker_table import WorkerTable

if TYPE_CHECKING:
    from farwatch.state.pay import CurrencyTotal


def _payable(totals: Sequence[CurrencyTotal]) -> str:
    """The header's payable line; the pay modules load only once there are totals
    (they come after the first frame), so the first frame never waits on them."""
    if not totals:
        return ""
    from farwatch.state.pay_report import payable_line

    return payable_line(totals)


def next_reminder(
    reminders: list[Reminder], by_id: dict[str, WorkerStatus], zone: tzinfo | None
) -> str:
    """ "next reminder: Ana Reyes at Tue 09:15" (the owner's display zone)."""
    if not reminders:
        return ""
    first = reminders[0]
    who = strip_control(by_id[first.worker].name) if first.worker in by_id else first.worker
    what = "overdue" if first.kind == "overdue" else "start of shift"
    return f"next reminder: {who} at {first.due.astimezone(zone):%a %H:%M} ({what})"


class MainScreen(FarwatchScreen):
    """One row per worker; Enter for detail, ``p`` ping, ``x`` pause."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_detail", "Detail", id="detail"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
        Binding("o", "cycle_sort", "Sort", id="sort"),
        Binding("g", "toggle_group", "Group by category", id="group", show=False),
        Binding("p", "ping", "Ping", id="ping"),
        Binding("P", "ping_stale", "Ping stale", id="ping_stale", show=False),
        Binding("x", "pause", "Pause", id="pause"),
        Binding("r", "resume", "Resume", id="resume", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield FarwatchHeader(id="header")
        yield WorkerTable(id="workers")
        yield KeyBar()

    @property
    def table(self) -> WorkerTable:
        return self.query_one(WorkerTable)

    @property
    def header(self) -> FarwatchHeader:
        return self.query_one(FarwatchHeader)

    def on_mount(self) -> None:
        self.table.focus()

    def filter_box(self) -> Input:
        """The filter input, mounted on first use (start-up stays light)."""
        found = self.query("#filter")
        if found:
            return found.first(Input)
        box = Input(placeholder="filter by name, task, category or email", id="filter")
        self.mount(box, before=self.table)
        return box

    # -- data ------------------------------------------------------------

    def on_data(self) -> None:
        fw = self.fw
        table = self.table
        table.set_palette(fw.palette)
        table.show(fw.statuses, fw.now)
        self._update_header()

    def on_tick(self) -> None:
        self.table.tick(self.fw.now)
        self._update_header(summary_too=False)

    def _update_header(self, summary_too: bool = True) -> None:
        fw = self.fw
        if summary_too:
            self.header.set_summary(
                summary(fw.statuses),
                (
                    _payable(fw.pay_totals),
                    next_reminder(fw.reminders, fw.by_id, fw.display_zone),
                ),
                self.view_description(),
            )
        self.header.set_status(
            failing=fw.failing_sources(),
            warnings=fw.warning_count(),
            read_only=fw.read_only_holder(),
            now=fw.now,
            zone=fw.display_zone,
            palette=fw.palette,
        )

    def view_description(self) -> str:
        table = self.table
        parts = [SORT_LABELS[table.sort_mode]]
        if table.grouped:
            parts.append("grouped by category")
        if table.query_text:
            parts.append(f"filter: {table.query_text}")
        return " · ".join(parts)

    # -- actions ---------------------------------------------------------

    def selected_worker(self) -> str | None:
        return self.table.selected_worker_id()

    def _selected_or_say_why(self) -> str | None:
        """The worker under the cursor; with none, a toast says why a key did nothing."""
        worker_id = self.selected_worker()
        if worker_id is None:
            self._say_nobody_shown()
        return worker_id

    def _say_nobody_shown(self) -> None:
        if not self.fw.statuses:
            text = "No workers yet: no roster has been read (the Sources screen says why)"
        elif not self.table.shown_statuses():
            text = f"No worker matches the filter {self.table.query_text!r}; Esc clears it"
        else:
            text = "The cursor is on a category heading, not a worker"
        self.notify(text, timeout=3, markup=False)

    def action_open_detail(self) -> None:
        worker_id = self._selected_or_say_why()
        if worker_id is not None:
            self.fw.open_detail(worker_id)

    @on(DataTable.RowSelected, "#workers")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_filter(self) -> None:
        box = self.filter_box()
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        for box in self.query("#filter").results(Input):
            box.value = ""
            box.display = False
        self.set_query("")
        self.table.focus()

    def set_query(self, query: str) -> None:
        self.table.set_query(query)
        self._update_header()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.set_query(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.display = False
        elif self.selected_worker() is None:
            self._say_nobody_shown()
        self.table.focus()

    def action_cycle_sort(self) -> None:
        current = SORT_MODES.index(self.table.sort_mode)
        self.set_sort(SORT_MODES[(current + 1) % len(SORT_MODES)])

    def set_sort(self, mode: SortMode) -> None:
        self.table.set_sort(mode)
        self._update_header()
        self.notify(f"Sorted {SORT_LABELS[mode]}", timeout=2, markup=False)

    def action_toggle_group(self) -> None:
        self.table.set_grouped(not self.table.grouped)
        self._update_header()

    def action_ping(self) -> None:
        worker_id = self._selected_or_say_why()
        if worker_id is not None:
            self.fw.open_ping(worker_id)

    def action_ping_stale(self) -> None:
        self.fw.open_ping_stale()

    def action_pause(self) -> None:
        worker_id = self._selected_or_say_why()
        if worker_id is not None:
            self.fw.open_pause(worker_id)

    def action_resume(self) -> None:
        worker_id = self._selected_or_say_why()
        if worker_id is not None:
            self.fw.open_resume(worker_id)
