"""Command palette: every dashboard action, plus per-worker ones ("Ping Ana").

Worker names are untrusted, so hits are displayed as plain ``Content`` built
from cleaned text (Textual's ``Matcher.highlight`` parses markup and is not
used on them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from farwatch.tui.ordering import SORT_LABELS, SORT_MODES
from farwatch.tui.widgets.safe import clean

if TYPE_CHECKING:
    from farwatch.tui.app import FarwatchApp
    from farwatch.tui.screens.main import MainScreen

Command = tuple[str, Callable[[], object], str]


class FarwatchCommands(Provider):
    """Offers the app's actions and, for each worker, open / ping / pause / resume."""

    @property
    def fw(self) -> FarwatchApp:
        return cast("FarwatchApp", self.app)

    def _main(self) -> MainScreen | None:
        from farwatch.tui.screens.main import MainScreen

        for screen in self.fw.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def commands(self) -> Iterator[Command]:
        fw = self.fw
        yield "Help: keys and screens", fw.action_help, "Show every key"
        yield "Source health", fw.action_sources, "Each source's last success and errors"
        yield "Audit log", fw.action_audit_log, "Every action and alert, newest first"
        yield "Pay: what each worker is owed", fw.action_pay, "Payable hours up to the cap × rate"
        yield "Poll all sources now", fw.action_poll_now, "Fetch from every source now"
        yield "Next theme", fw.action_next_theme, "Cycle farwatch's themes"
        yield "Ping every stale worker", fw.open_ping_stale, "Nudge all overdue workers"
        main = self._main()
        if main is not None:
            for mode in SORT_MODES:
                yield f"Sort {SORT_LABELS[mode]}", partial(main.set_sort, mode), "Worker order"
            yield "Group by category (toggle)", main.action_toggle_group, "Group rows"
            yield "Filter workers", main.action_filter, "Type to filter the table"
        for status in fw.statuses:
            name = clean(status.name or status.id, 60)
            yield f"Open {name}", partial(fw.open_detail, status.id), "Worker detail"
            yield f"Ping {name}", partial(fw.open_ping, status.id), "Send a nudge"
            if status.paused:
                yield f"Resume {name}", partial(fw.open_resume, status.id), "Resume work"
            else:
                yield f"Pause {name}", partial(fw.open_pause, status.id), "Stop work and timer"

    async def discover(self) -> Hits:
        for title, callback, help_text in self.commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, Content(title), callback, text=title, help=help_text)
