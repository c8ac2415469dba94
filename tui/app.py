"""The farwatch dashboard app and the factory the CLI and the tests share.

The app holds the latest derived data (statuses, source health, the time) and
announces changes through two signals; screens subscribe and redraw
themselves. Polling happens in thread workers (``farwatch.tui.polling``);
the ping / pause / resume dialogs open from ``farwatch.tui.worker_dialogs``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme

from farwatch.sources.redact import redact
from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import Reminder
from farwatch.state.clock import Clock
from farwatch.state.engine_api import EngineLike
from farwatch.state.gc_pause import first_frame_shown
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.themes import DEFAULT_THEME, FARWATCH_THEMES, state_variable_defaults
from farwatch.tui.alerts import crossings
from farwatch.tui.commands import FarwatchCommands
from farwatch.tui.crash import crash_message, save_crash
from farwatch.tui.engine_api import SchedulerLike
from farwatch.tui.messages import DataReady
from farwatch.tui.palette import Palette
from farwatch.tui.polling import PollLoop, payable_totals, read_audit
from farwatch.tui.quitting import QuitGuard, require_terminal
from farwatch.tui.screens.dialog import HELD_APP_ACTIONS, OwnedDialog
from farwatch.tui.textual_compat import PaletteApp
from farwatch.tui.worker_dialogs import WorkerDialogs

if TYPE_CHECKING:
    from farwatch.state.pay import CurrencyTotal

THEME_ORDER: tuple[str, ...] = tuple(t.name for t in FARWATCH_THEMES)


class FarwatchApp(WorkerDialogs, PaletteApp):
    """The dashboard. Build it with ``build_app``."""

    TITLE = "farwatch"
    CSS_PATH = "farwatch.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {FarwatchCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("s", "sources", "Sources", id="sources"),
        Binding("l", "audit_log", "Log", id="log"),
        Binding("dollar_sign", "pay", "Pay", id="pay", show=False),
        Binding("u", "poll_now", "Poll", id="poll_now"),
        Binding("t", "next_theme", "Next theme", id="theme", show=False),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        engine: EngineLike,
        *,
        clock: Clock | None = None,
        scheduler: SchedulerLike | None = None,
        live: bool = True,
        display_zone: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.clock: Clock = clock or engine.clock
        self.live = live
        self.display_zone = display_zone
        """Zone of the header clock (None: this machine's local time)."""
        for theme in FARWATCH_THEMES:
            self.register_theme(theme)
        ui = engine.settings.ui
        self.theme = ui.theme if ui.theme in self.available_themes else DEFAULT_THEME
        if ui.keys:
            self.set_keymap(dict(ui.keys))
        self.statuses: list[WorkerStatus] = []
        self.by_id: dict[str, WorkerStatus] = {}
        self.health: list[SourceHealth] = []
        self.snapshot = CacheSnapshot()
        """The cache the rows were derived from (the detail screen's history)."""
        self.audit_entries: list[AuditEntry] = []
        """The audit log, newest first, as last read by a worker thread."""
        self.reminders: list[Reminder] = []
        """Automatic reminders to come, soonest first (the header shows the next)."""
        self.pay_totals: tuple[CurrencyTotal, ...] = ()
        """This period's payable totals per currency (the header shows them)."""
        self.now: datetime = self.clock()
        self._judged_minute = self.now.replace(second=0, microsecond=0)
        """The minute of the clock the statuses were last judged in."""
        self.palette = Palette(name="")
        self.data_signal: Signal[None] = Signal(self, "farwatch-data")
        self.tick_signal: Signal[None] = Signal(self, "farwatch-tick")
        self.alerts_raised = 0
        self._quit_asked = False
        self.crash_file: Path | None = None
        """Where the traceback of an unexpected error was saved."""
        self.crash_note = ""
        """The line printed after the terminal is restored, when something broke."""
        self.poller = PollLoop(self, engine, scheduler, own_scheduler=live and scheduler is None)

    # -- keys while a dialog is open -----------------------------------------

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        """A dialog on top holds the app-wide keys: a stray letter opens nothing."""
        return not (action in HELD_APP_ACTIONS and isinstance(self.screen, OwnedDialog))

    def action_in_flight(self) -> bool:
        """Is a dialog anywhere in the stack sending or pausing right now?"""
        return any(isinstance(s, OwnedDialog) and s.busy for s in self.screen_stack)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands minus Quit: farwatch offers "Quit farwatch" last, guarded."""
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command

    def quit_from_palette(self) -> None:
        """Quit, but not silently over a send or pause that is still running."""
        if self.action_in_flight() and not self._quit_asked:
            self._quit_asked = True
            self.notify(
                "A ping or pause is still running. Choose Quit again to quit anyway.",
                severity="warning",
                markup=False,
            )
            return
        self.exit()

    # -- themes ----------------------------------------------------------

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """A screenshot (SVG) passes the redactor like every other file farwatch writes."""
        return redact(super().export_screenshot(title=title, simplify=simplify))

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return state_variable_defaults(self.current_theme)

    def _refresh_palette(self, theme: Theme | None = None) -> None:
        name = (theme or self.current_theme).name
        self.palette = Palette.from_variables(name, self.get_css_variables())

    def _theme_changed(self, theme: Theme) -> None:
        self._refresh_palette(theme)
        self.data_signal.publish(None)

    def action_next_theme(self) -> None:
        names = [*THEME_ORDER, *(n for n in self.available_themes if n not in THEME_ORDER)]
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2, markup=False)

    # -- a bug ------------------------------------------------------------

    def on_unhandled_error(self, error: Exception) -> None:
        """Save the traceback (redacted); ``run_app`` prints where, after the terminal is back.

        Textual still restores the terminal and sets the exit code to 1; the
        traceback it would print (with local variables) is dropped.
        """
        self.crash_file = save_crash(error)
        self.crash_note = self.crash_note or crash_message(error, self.crash_file)

    # -- lifecycle -------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        from farwatch.tui.screens.main import MainScreen

        return MainScreen(id="main")

    def on_load(self) -> None:
        self._refresh_palette()
        self.now = self.clock()
        refresh = self.engine.refresh(self.now)
        self.snapshot = refresh.snapshot
        if not self.live:  # a live app reads the log and works these out after its first frame
            self.audit_entries = read_audit(self.engine.settings.audit_file)
            self.pay_totals = (
                payable_totals(self.engine, refresh.snapshot, refresh.statuses, self.now) or ()
            )
        self._accept(refresh.statuses, refresh.health, self.now)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for notice in self.engine.notices:
            self.notify(notice, title="farwatch", severity="warning", markup=False)
        self.call_after_refresh(first_frame_shown)  # the collector, if start-up paused it
        if self.live:
            self.poller.start(known=self.health)
            self.set_interval(max(0.2, self.engine.settings.ui.tick), self.tick)
            # the header's pay totals and the audit log, at once, off this thread
            self.call_after_refresh(self.poller.rederive)

    def on_unmount(self) -> None:
        self.poller.stop()

    def tick(self) -> None:
        """Move the displayed time on; ages and local times re-render, nothing is re-read.

        On the first tick of each new minute the statuses are judged again at
        the new time (off the UI thread), so a level that the clock alone moves
        (overdue, off hours, a running timer nearing the cap) turns with the
        minute the header clock shows. Everything on screen is to the minute;
        judging 500 workers every half minute showed a change at most thirty
        seconds sooner, for a tenth of a second of work each time.
        """
        self.now = self.clock()
        self.tick_signal.publish(None)
        minute = self.now.replace(second=0, microsecond=0)
        if self.live and minute != self._judged_minute:
            self._judged_minute = minute
            self.poller.rederive()

    # -- data ------------------------------------------------------------

    def on_data_ready(self, message: DataReady) -> None:
        self.poller.finished(message)
        if message.error:
            self.notify(message.error, title="poll", severity="error", markup=False)
        if message.snapshot is not None:
            self.snapshot = message.snapshot
        if message.audit is not None:
            self.audit_entries = message.audit
        if message.reminders is not None:
            self.reminders = message.reminders
        if message.pay is not None:
            self.pay_totals = message.pay
        if message.statuses is not None:
            self._accept(message.statuses, message.health or self.health, message.now)
            self.data_signal.publish(None)

    def _accept(
        self, statuses: list[WorkerStatus], health: list[SourceHealth], now: datetime
    ) -> None:
        previous = self.by_id
        newly_failing = set(self._failing(health)) - set(self._failing(self.health))
        self.statuses = statuses
        self.by_id = {s.id: s for s in statuses}
        self.health = health
        self.now = max(self.now, now)
        self._judged_minute = max(self._judged_minute, now.replace(second=0, microsecond=0))
        if previous:
            self.raise_alerts(crossings(previous, statuses))
            for name in sorted(newly_failing):
                self.notify(
                    f"source {name} is failing (see Sources)",
                    severity="error",
                    markup=False,
                )

    @staticmethod
    def _failing(health: list[SourceHealth]) -> list[str]:
        return [h.name for h in health if h.consecutive_failures > 0]

    def failing_sources(self) -> list[str]:
        return self._failing(self.health)

    def warning_count(self) -> int:
        """Every source's warnings (skipped rows, unmatched names, overlaps, limits hit)."""
        return sum(max(h.warnings_total, len(h.warnings)) for h in self.health)

    def read_only_holder(self) -> str | None:
        try:
            if not self.engine.read_only:
                return None
        except Exception:  # an engine without an open cache is not read-only
            return None
        return self.engine.lock_holder or "another process"

    # -- screens ---------------------------------------------------------

    def action_help(self) -> None:
        from farwatch.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_sources(self) -> None:
        from farwatch.tui.screens.sources import SourcesScreen

        if not isinstance(self.screen, SourcesScreen):
            self.push_screen(SourcesScreen())

    def action_audit_log(self) -> None:
        from farwatch.tui.screens.audit_log import AuditLogScreen

        if not isinstance(self.screen, AuditLogScreen):
            self.push_screen(AuditLogScreen())

    def action_pay(self) -> None:
        from farwatch.tui.screens.pay import PayScreen

        if not isinstance(self.screen, PayScreen):
            self.push_screen(PayScreen())

    def open_detail(self, worker_id: str) -> None:
        from farwatch.tui.screens.detail import DetailScreen

        if worker_id in self.by_id:
            self.push_screen(DetailScreen(worker_id))

    def action_poll_now(self) -> None:
        self.poll_now()

    def poll_now(self, names: list[str] | None = None) -> None:
        if self.read_only_holder() is not None:
            self.notify("read-only: another process polls this cache", markup=False)
            return
        started = self.poller.poll_now(names)
        label = ", ".join(started) if started else "nothing (already polling)"
        self.notify(f"Polling {label}", timeout=2, markup=False)


def build_app(
    engine: EngineLike,
    *,
    clock: Clock | None = None,
    scheduler: SchedulerLike | None = None,
    live: bool = True,
    display_zone: tzinfo | None = None,
) -> FarwatchApp:
    """The dashboard over ``engine`` (already opened).

    ``live=False`` starts no timers and no polls: snapshot tests and
    benchmarks get exactly the frame the data describes.
    """
    return FarwatchApp(
        engine, clock=clock, scheduler=scheduler, live=live, display_zone=display_zone
    )


def run_dashboard(engine: EngineLike) -> None:
    """Run the dashboard in this terminal until the owner quits (the CLI's entry).

    SIGTERM and SIGHUP (a dropped SSH session) quit it like ``q`` does, and so
    does the terminal vanishing, so the caller's clean-up runs (an input that is
    not a terminal at all is refused up front): the cache lock
    is released, the demo folder removed (see ``farwatch.tui.quitting``).
    An unexpected error ends in ``SystemExit`` with a non-zero code, after the
    terminal is restored and the saved traceback's path is printed.
    """
    require_terminal()
    app = build_app(engine)
    with QuitGuard(app):
        code = run_app(app)
    if code:
        raise SystemExit(code)


def run_app(app: FarwatchApp, *, headless: bool = False) -> int:
    """Run ``app`` to the end; its exit code (non-zero after an unexpected error)."""
    app.run(headless=headless)
    if app.crash_note:
        print(app.crash_note, file=sys.stderr)
    return app.return_code or 0
