"""Pay: what each worker is owed this cap period (or the one before), capped.

The figures are computed in a worker thread from the cache snapshot (the same
rules as ``farwatch pay``, see ``state/pay.py``) and handed to the table; the
UI thread never reads the cache.
"""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from farwatch.state.pay import PayRange, PayReport, WorkerPay, pay_report
from farwatch.state.pay_report import format_money, hours
from farwatch.state.text import plural
from farwatch.tui.cells import zone_of
from farwatch.tui.screens.base import FarwatchScreen
from farwatch.tui.widgets.keybar import KeyBar
from farwatch.tui.widgets.safe import safe_text

COLUMNS = (
    ("name", "Worker"),
    ("from", "From"),
    ("logged", "Logged"),
    ("payable", "Payable"),
    ("over", "Over cap"),
    ("rate", "Rate"),
    ("amount", "To pay"),
    ("unpaid", "Not paid"),
    ("note", ""),
)


NO_PREVIOUS_TASK = "task cap: no previous period"


def pay_cells(w: WorkerPay) -> list[Text]:
    """One worker's row; every figure as text, the name as untrusted text."""
    if w.no_such_period:  # not a misleading "0.00h from the same day"
        blank = [Text("—") for _ in COLUMNS[1:-1]]
        return [safe_text(w.name or w.id, limit=40), *blank, Text(NO_PREVIOUS_TASK, "italic")]
    over = Text(f"{hours(w.seconds_over_cap):.2f}h")
    if w.seconds_over_cap > 0:
        over.append(" ✖")
    note = "provisional ▶" if w.provisional else ("no rate" if w.rate is None else "")
    return [
        safe_text(w.name or w.id, limit=40),
        Text(w.period_start.astimezone(zone_of(w.timezone) or UTC).strftime("%a %d %b")),
        Text(f"{hours(w.seconds_logged):.2f}h"),
        Text(f"{hours(w.seconds_payable):.2f}h"),
        over,
        Text("—" if w.rate is None else format_money(w.rate, w.currency)),
        Text(format_money(w.amount_payable, w.currency)),
        Text(format_money(w.amount_over_cap, w.currency)),
        Text(note, style="italic"),
    ]


def totals_text(report: PayReport) -> Text:
    """Per currency, never added across currencies."""
    text = Text()
    for t in report.totals:
        if text:
            text.append("\n")
        text.append(f"{t.currency or 'No currency'}: ", style="bold")
        text.append(
            f"{hours(t.seconds_payable):.2f}h payable · "
            f"{format_money(t.amount_payable, t.currency)} to pay · "
            f"{format_money(t.amount_over_cap, t.currency)} not paid (over cap)"
        )
        if t.workers_without_rate:
            text.append(f" · {plural(t.workers_without_rate, 'worker')} without a rate")
    if any(w.provisional for w in report.workers):
        text.append("\nProvisional: a timer is still running; figures will change.", "italic")
    return text


class PayScreen(FarwatchScreen):
    """What each worker is owed for their current cap period; ``v`` the one before."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("v", "toggle_period", "This/previous period", id="pay_period"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.periods_back = 0
        self.report: PayReport | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="pay-title", classes="screen-title", markup=False)
        table: DataTable[Text] = DataTable(id="pay", cursor_type="row")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(id="pay-totals", markup=False)
        yield KeyBar()

    def on_data(self) -> None:
        self._compute(self.periods_back)

    def action_toggle_period(self) -> None:
        self.periods_back = 0 if self.periods_back else 1
        self._compute(self.periods_back)

    @work(thread=True, exclusive=True, group="pay")
    def _compute(self, periods_back: int) -> None:
        fw = self.fw
        snapshot = fw.engine.snapshot()
        dates = PayRange(periods_back=periods_back)
        report = pay_report(snapshot, list(fw.statuses), fw.engine.settings, fw.now, dates)
        self.app.call_from_thread(self._show, report, periods_back)

    def _show(self, report: PayReport, periods_back: int) -> None:
        if not self.is_attached or periods_back != self.periods_back:
            return
        self.report = report
        which = "this cap period, up to now" if periods_back == 0 else "the previous cap period"
        title = Text("Pay — ", style="bold")
        title.append(which, style="bold")
        title.append("   (v: switch; payable hours up to each worker's cap × rate)", style="dim")
        self.query_one("#pay-title", Static).update(title)
        table: DataTable[Text] = self.query_one("#pay", DataTable)
        wanted = {w.id: w for w in report.workers}
        with self.app.batch_update():
            for row in list(table.rows):
                if row.value not in wanted:
                    table.remove_row(row)
            present = {r.value for r in table.rows}
            for worker_id, w in wanted.items():
                cells = pay_cells(w)
                if worker_id in present:
                    for (key, _), cell in zip(COLUMNS, cells, strict=True):
                        table.update_cell(worker_id, key, cell, update_width=True)
                else:
                    table.add_row(*cells, key=worker_id)
        self.query_one("#pay-totals", Static).update(totals_text(report))
