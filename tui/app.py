"""The farwatch dashboard app and the factory the CLI and the tests share.

The app holds the latest derived data (statuses, source health, the time) and
announces changes through two signals; screens subscribe and redraw
themselves. Polling happens in thread workers (``farwatch.tui.polling``);
the ping / pause / resume dialogs open from ``farwatch.tui.worker_dialogs``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme

from farwatch.sources.redact import redact
from farwatch.state.audit import AuditEntry
from farwatch.state.clock import Clock
from farwatch.state.engine_api import EngineLike
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.themes import DEFAULT_THEME, FARWATCH_THEMES, state_variable_defaults
from farwatch.tui.alerts import crossings
from farwatch.tui.commands import FarwatchCommands
from farwatch.tui.engine_api import SchedulerLike
from farwatch.tui.messages import DataReady
from farwatch.tui.palette import Palette
from farwatch.tui.polling import PollLoop, default_scheduler, read_audit
from farwatch.tui.quitting import QuitGuard, require_terminal
from farwatch.tui.textual_compat import TightDisplayApp
from farwatch.tui.worker_dialogs import WorkerDialogs

REDERIVE_EVERY = 30.0
"""Seconds between re-deriving levels from the clock alone (no poll)."""
THEME_ORDER: tuple[str, ...] = tuple(t.name for t in FARWATCH_THEMES)


class FarwatchApp(WorkerDialogs, TightDisplayApp):
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
        self.now: datetime = self.clock()
        self.palette = Palette(name="")
        self.data_signal: Signal[None] = Signal(self, "farwatch-data")
        self.tick_signal: Signal[None] = Signal(self, "farwatch-tick")
        self.alerts_raised = 0
        self.poller = PollLoop(self, engine, scheduler)

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

    # -- lifecycle -------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        from farwatch.tui.screens.main import MainScreen

        return MainScreen(id="main")

    def on_load(self) -> None:
        self._refresh_palette()
        self.now = self.clock()
        refresh = self.engine.refresh(self.now)
        self.snapshot = refresh.snapshot
        self.audit_entries = read_audit(self.engine.settings.audit_file)
        self._accept(refresh.statuses, refresh.health, self.now)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for notice in self.engine.notices:
            self.notify(notice, title="farwatch", severity="warning", markup=False)
        if self.live:
            self.poller.start()
            self.set_interval(max(0.2, self.engine.settings.ui.tick), self.tick)
            self.set_interval(REDERIVE_EVERY, self.poller.rederive)

    def on_unmount(self) -> None:
        self.poller.stop()

    def tick(self) -> None:
        """Move the displayed time on; ages and local times re-render, nothing is re-read."""
        self.now = self.clock()
        self.tick_signal.publish(None)

    # -- data ------------------------------------------------------------

    def on_data_ready(self, message: DataReady) -> None:
        self.poller.finished(message)
        if message.error:
            self.notify(message.error, title="poll", severity="error", markup=False)
        if message.snapshot is not None:
            self.snapshot = message.snapshot
        if message.audit is not None:
            self.audit_entries = message.audit
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
    if scheduler is None and live:
        scheduler = default_scheduler(engine)
    return FarwatchApp(
        engine, clock=clock, scheduler=scheduler, live=live, display_zone=display_zone
    )


def run_dashboard(engine: EngineLike) -> None:
    """Run the dashboard in this terminal until the owner quits (the CLI's entry).

    SIGTERM and SIGHUP (a dropped SSH session) quit it like ``q`` does, and so
    does the terminal vanishing, so the caller's clean-up runs (an input that is
    not a terminal at all is refused up front): the cache lock
    is released, the demo folder removed (see ``farwatch.tui.quitting``).
    """
    require_terminal()
    app = build_app(engine)
    with QuitGuard(app):
        app.run()
