"""One worker in depth: check-ins, time entries, burn against the cap, contact, audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from farwatch.sources.imref import ImRefError, parse_im_ref
from farwatch.sources.model import CheckIn, TimeEntry
from farwatch.state import derive
from farwatch.state.pay import PayRange, worker_pay
from farwatch.state.pay_report import format_money, hours
from farwatch.state.settings import Settings
from farwatch.state.snapshot import CacheSnapshot
from farwatch.state.status import WorkerStatus
from farwatch.tui.cells import (
    age_ago,
    burn_cell,
    format_hours,
    humanize_age,
    live_age,
    state_cell,
    wall_age,
    zone_of,
)
from farwatch.tui.palette import Palette
from farwatch.tui.screens.base import FarwatchScreen
from farwatch.tui.widgets.keybar import KeyBar
from farwatch.tui.widgets.safe import clean, safe_text

TIMELINE_ROWS = 12
ENTRY_ROWS = 12
AUDIT_ROWS = 15
CHART_WIDTH = 30


def worker_history(
    snapshot: CacheSnapshot, worker_id: str
) -> tuple[list[CheckIn], list[TimeEntry]]:
    """Check-ins and time entries newest first, from the snapshot a worker thread read."""
    history = derive.worker_history(snapshot, worker_id)
    return list(history.checkins), list(history.entries)


def contact_lines(status: WorkerStatus) -> Text:
    """Email in full; the IM channel and recipient the roster names (no URL or token
    ever comes from the roster; an old-style URL cell is refused, and said so)."""
    text = Text(end="")
    text.append("email  ", style="bold")
    text.append_text(safe_text(status.email or "—", limit=80))
    text.append("\nIM     ", style="bold")
    try:
        ref = parse_im_ref(status.im)
    except ImRefError:
        text.append("refused: the roster's im cell is not NAME:recipient (see farwatch check)")
        return text
    text.append_text(safe_text(f"{ref[0]}:{ref[1]}" if ref else "—", limit=80))
    return text


def burn_chart(
    status: WorkerStatus, entries: Sequence[TimeEntry], now: datetime, palette: Palette
) -> Text:
    """Cumulative hours per day of the cap period, each bar against the cap mark ``│``."""
    text = Text(end="")
    start = status.period_start
    if start is None:
        start = min((e.start for e in entries), default=now)
    days: list[datetime] = []
    day = start
    while day <= now and len(days) < 31:
        days.append(day)
        day = day + timedelta(days=1)
    cap = status.cap_hours
    total = max(status.hours_used, cap or 0.0, 0.1)
    scale = (CHART_WIDTH - 1) / total  # the cap mark always fits
    cap_at = round(cap * scale) if cap else None
    cumulative = 0.0
    zone = zone_of(status.timezone) or UTC  # days as the worker lives them
    for index, day_start in enumerate(days):
        day_end = min(day_start + timedelta(days=1), now)
        for entry in entries:
            stop = entry.end or now
            overlap = (min(stop, day_end) - max(entry.start, day_start)).total_seconds()
            if overlap > 0:
                cumulative += overlap / 3600.0
        if index:
            text.append("\n")
        filled = min(CHART_WIDTH, round(cumulative * scale))
        over = cap is not None and cumulative > cap
        style = palette.burn("over" if over else "ok")
        text.append(day_start.astimezone(zone).strftime("%a %d  "))
        bar = ["█"] * filled + [" "] * (CHART_WIDTH - filled)
        if cap_at is not None and cap_at < CHART_WIDTH:
            bar[cap_at] = "│" if bar[cap_at] == " " else "┃"
        text.append("".join(bar), style=style)
        text.append(f"  {format_hours(cumulative)}h")
    if cap is not None:
        text.append(f"\ncap {format_hours(cap)}h per {clean(status.cap_period, 10)} (│)")
    return text


def pay_line(
    snapshot: CacheSnapshot,
    status: WorkerStatus,
    entries: Sequence[TimeEntry],
    settings: Settings,
    now: datetime,
) -> Text:
    """This cap period's payable and over-cap time and money (``farwatch pay``'s rules).

    ``entries`` are the worker's own, already matched for the screen: the whole
    cache is not grouped again on the UI thread for one line.
    """
    row = next((r for r in snapshot.all_roster() if r.worker_id == status.id), None)
    if row is None:
        return Text("Pay: not in the roster.", style="dim")
    schedule, _ = derive.schedule_for(row, settings.defaults)
    owned = [("", e) for e in entries]
    w = worker_pay(status, schedule, owned, row.task, now, PayRange())
    text = Text("Pay this period: ", style="bold")
    text.append(f"{hours(w.seconds_payable):.2f}h payable")
    if w.amount_payable is not None:
        text.append(f" ({format_money(w.amount_payable, w.currency)})")
    text.append(f", {hours(w.seconds_over_cap):.2f}h over the cap")
    if w.amount_over_cap is not None and w.seconds_over_cap > 0:
        text.append(f" (not paid: {format_money(w.amount_over_cap, w.currency)})")
    if w.rate is None:
        text.append("; no rate agreed", style="dim")
    if w.provisional:
        text.append("; provisional (timer running)", style="italic")
    return text


def pace_line(status: WorkerStatus, now: datetime) -> Text:
    if status.cap_hours is None:
        return Text("No cap agreed for this worker.")
    if status.burn_level == "over":
        return Text(
            f"Over the cap: {format_hours(status.hours_used)}h of "
            f"{format_hours(status.cap_hours)}h."
        )
    if status.cap_eta is None:
        return Text("Not on pace to reach the cap this period.")
    wait = (status.cap_eta - now).total_seconds()
    when = status.cap_eta.strftime("%a %d %b %H:%M UTC")
    return Text(f"At this pace the cap is reached {when} (in {humanize_age(wait)}).")


def timeline(checkins: Sequence[CheckIn], now: datetime, palette: Palette) -> Text:
    text = Text(end="")
    if not checkins:
        return Text("No check-ins yet.", style="dim")
    for index, checkin in enumerate(checkins[:TIMELINE_ROWS]):
        if index:
            text.append("\n")
        text.append(checkin.at.strftime("%a %d %H:%M  "))
        text.append(f"{age_ago((now - checkin.at).total_seconds())}  ", style="dim")
        text.append(f"[{checkin.kind}] ", style=palette.get("spark"))
        text.append_text(safe_text(checkin.subject, "bold", limit=80))
        line = clean(checkin.first_line, 100)
        if line:
            text.append("\n    ")
            text.append_text(safe_text(line, "italic", limit=100))
    return text


def entries_text(entries: Sequence[TimeEntry], now: datetime) -> Text:
    if not entries:
        return Text("No time entries in the cache.", style="dim")
    text = Text(end="")
    for index, entry in enumerate(entries[:ENTRY_ROWS]):
        if index:
            text.append("\n")
        if entry.day is not None:  # date-only (Harvest): no clock time to show
            text.append(f"{entry.day.strftime('%a %d')} (date only)  ")
        else:
            stop = entry.end.strftime("%H:%M") if entry.end else "running"
            text.append(f"{entry.start.strftime('%a %d %H:%M')}–{stop}  ")
        text.append(f"{format_hours(entry.seconds(now) / 3600):>5}h  ")
        text.append_text(safe_text(entry.task or "—", limit=80))
    return text


def audit_text(entries: Sequence[Any], zone: Any) -> Text:
    if not entries:
        return Text("Nothing recorded for this worker.", style="dim")
    text = Text(end="")
    for index, entry in enumerate(entries[:AUDIT_ROWS]):
        if index:
            text.append("\n")
        text.append(entry.time.astimezone(zone).strftime("%m-%d %H:%M  "))
        text.append_text(safe_text(f"{entry.action} {entry.outcome}", "bold", limit=30))
        text.append("  ")
        text.append_text(safe_text(entry.message or entry.detail, limit=100))
    return text


class DetailScreen(FarwatchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("p", "ping", "Ping", id="detail_ping"),
        Binding("x", "pause", "Pause", id="detail_pause"),
        Binding("r", "resume", "Resume", id="detail_resume"),
    ]

    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id
        self._title_minute: datetime | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="detail-title", classes="screen-title", markup=False)
            for section, title in (
                ("now", "Now"),
                ("burn", "Burn against the cap"),
                ("timeline", "Check-ins (newest first)"),
                ("entries", "Time entries (newest first)"),
                ("contact", "Contact"),
                ("audit", "Audit log"),
            ):
                yield Static(Text(title, style="bold underline"), classes="section-title")
                yield Static(id=f"detail-{section}", classes="section", markup=False)
        yield KeyBar()

    def _show_title(self, status: WorkerStatus) -> None:
        """Name, category, timezone and the worker's local time as of the app's clock."""
        local = self.fw.now.astimezone(zone_of(status.timezone) or UTC)
        title = Text.assemble(state_cell(status, self.fw.palette), " ", end="")
        title.append_text(safe_text(status.name or status.id, "bold", limit=60))
        title.append(f"  ·  {clean(status.category, 10) or 'no category'}  ·  ")
        title.append_text(safe_text(status.timezone, limit=40))
        title.append(f" {local.strftime('%H:%M')}")
        self._title_minute = local.replace(second=0, microsecond=0)
        self.query_one("#detail-title", Static).update(title)

    def on_tick(self) -> None:
        """The local time in the title follows the clock, not the last derive."""
        status = self.fw.by_id.get(self.worker_id)
        if status is None:
            return
        minute = self.fw.now.astimezone(zone_of(status.timezone) or UTC)
        if minute.replace(second=0, microsecond=0) != self._title_minute:
            self._show_title(status)

    def on_data(self) -> None:
        fw = self.fw
        status = fw.by_id.get(self.worker_id)
        if status is None:
            self.query_one("#detail-title", Static).update(Text("This worker left the roster."))
            return
        now, palette = fw.now, fw.palette
        checkins, entries = worker_history(fw.snapshot, self.worker_id)
        self._show_title(status)
        now_text = Text(end="")
        now_text.append("Task: ", style="bold")
        now_text.append_text(safe_text(status.task or "—", limit=120))
        if status.running:
            now_text.append("  (timer running)", style=palette.get("state-ok"))
        now_text.append("\nLast check-in: ", style="bold")
        if status.last_checkin is None:
            now_text.append("never")
        else:
            now_text.append(age_ago(wall_age(status, now)))
            if status.checkin_work_age is not None:
                work = humanize_age(live_age(status, now))
                now_text.append(
                    f" ({work} of working time)", style=palette.checkin(status.checkin_level)
                )
            now_text.append("  ")
            now_text.append_text(safe_text(status.last_checkin_subject, "italic", limit=80))
        if status.paused:
            now_text.append("\nPaused", style=palette.get("state-paused"))
        for problem in status.problems:
            now_text.append("\n⚠ ")
            now_text.append_text(safe_text(problem, limit=120))
        self.query_one("#detail-now", Static).update(now_text)
        burn = Text.assemble(burn_cell(status, palette, bar_cells=20, width=60), "\n", end="")
        burn.append_text(pace_line(status, now))
        burn.append("\n")
        burn.append_text(pay_line(fw.snapshot, status, entries, fw.engine.settings, now))
        burn.append("\n\n")
        burn.append_text(burn_chart(status, entries, now, palette))
        self.query_one("#detail-burn", Static).update(burn)
        self.query_one("#detail-timeline", Static).update(timeline(checkins, now, palette))
        self.query_one("#detail-entries", Static).update(entries_text(entries, now))
        self.query_one("#detail-contact", Static).update(contact_lines(status))
        audit = [e for e in fw.audit_entries if e.worker == self.worker_id]
        self.query_one("#detail-audit", Static).update(audit_text(audit, fw.display_zone))

    def action_ping(self) -> None:
        self.fw.open_ping(self.worker_id)

    def action_pause(self) -> None:
        self.fw.open_pause(self.worker_id)

    def action_resume(self) -> None:
        self.fw.open_resume(self.worker_id)
