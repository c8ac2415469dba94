"""The one-line header: summary on the left; badges, mode and clock on the right.

Everything here is built as ``Text`` (the lock holder and source names come
from elsewhere and are treated as untrusted like any other string).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from farwatch.tui.palette import Palette
from farwatch.tui.widgets.safe import safe_text


class FarwatchHeader(Horizontal):
    """``farwatch · 12 workers · 3 stale …        ⚠ 1 source failing · 14:05``."""

    DEFAULT_CLASSES = "fw-header"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._summary = ""
        self._view = ""
        self._failing: list[str] = []
        self._warnings = 0
        self._read_only: str | None = None
        self._clock = ""
        self._status_width = -1

    def compose(self) -> ComposeResult:
        yield Static(id="header-summary", markup=False)
        yield Static(id="header-status", markup=False)

    def set_summary(self, summary: str, view: str = "") -> None:
        if (summary, view) != (self._summary, self._view):
            self._summary, self._view = summary, view
            left = Text.assemble(("farwatch", "bold"), "  ", summary, end="")
            if view:
                left.append(f"  ({view})", style="dim")
            # 1fr wide and one line high: new words never change the layout.
            self.query_one("#header-summary", Static).update(left, layout=False)

    def set_status(
        self,
        *,
        failing: list[str],
        warnings: int = 0,
        read_only: str | None,
        now: datetime,
        zone: tzinfo | None,
        palette: Palette,
    ) -> None:
        clock = now.astimezone(zone).strftime("%a %H:%M")
        state = (failing, warnings, read_only, clock)
        if state == (self._failing, self._warnings, self._read_only, self._clock):
            return
        self._failing, self._warnings = list(failing), warnings
        self._read_only, self._clock = read_only, clock
        right = Text(end="", no_wrap=True)
        if failing:
            count = len(failing)
            label = f"⚠ {count} source{'s' if count != 1 else ''} failing"
            right.append(label, style=palette.get("state-alert-bold"))
            right.append("  ")
        if warnings:
            label = f"△ {warnings} warning{'s' if warnings != 1 else ''}"
            right.append(label, style=palette.get("state-warn"))
            right.append("  ")
        if read_only is not None:
            right.append_text(safe_text(f"read-only: {read_only}", "bold", limit=60))
            right.append("  ")
        right.append(clock, style="bold")
        # Auto width: lay out again only when the width changed (not each minute).
        same_width = right.cell_len == self._status_width
        self._status_width = right.cell_len
        self.query_one("#header-status", Static).update(right, layout=not same_width)
