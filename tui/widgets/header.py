"""The one-line header: summary on the left; badges, mode and clock on the right.

Everything here is built as ``Text`` (the lock holder and source names come
from elsewhere and are treated as untrusted like any other string).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from farwatch.tui.palette import Palette
from farwatch.tui.widgets.safe import safe_text


class HeaderSummary(Static):
    """The left part, fitted to its width a whole part at a time.

    The counts always show (cut only when nothing else is left); the brand, the
    payable total, the next reminder and the view follow, in that order of
    importance, each shown whole or not at all, so a narrow terminal never
    shows half an amount.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.counts = ""
        self.extras: tuple[str, ...] = ()
        self.view = ""

    def render(self) -> Text:
        return fit_summary(self.counts, self.extras, self.view, self.size.width)


def fit_summary(counts: str, extras: Sequence[str], view: str, width: int) -> Text:
    """``farwatch  12 workers · 1 stale · payable $96.00  (stalest first)`` in ``width`` cells."""
    brand = "farwatch  "
    extra_parts = [f" · {extra}" for extra in extras if extra]
    view_part = f"  ({view})" if view else ""
    used = cell_len(counts)
    show_brand = used + len(brand) <= width
    used += len(brand) if show_brand else 0
    shown: list[str] = []
    for part in extra_parts:
        if used + cell_len(part) <= width:
            shown.append(part)
            used += cell_len(part)
    show_view = bool(view_part) and used + cell_len(view_part) <= width
    text = Text(end="", no_wrap=True, overflow="ellipsis")
    if show_brand:
        text.append("farwatch", style="bold")
        text.append("  ")
    text.append(counts)
    for part in shown:
        text.append(part)
    if show_view:
        text.append(view_part, style="dim")
    return text


class FarwatchHeader(Horizontal):
    """``farwatch · 12 workers · 3 stale …        ⚠ 1 source failing · 14:05``."""

    DEFAULT_CLASSES = "fw-header"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._failing: list[str] = []
        self._warnings = 0
        self._read_only: str | None = None
        self._clock = ""
        self._status_width = -1

    def compose(self) -> ComposeResult:
        yield HeaderSummary(id="header-summary")
        yield Static(id="header-status", markup=False)

    def set_summary(self, counts: str, extras: Sequence[str] = (), view: str = "") -> None:
        """Counts first; ``extras`` (payable, next reminder) and ``view`` as room allows."""
        left = self.query_one("#header-summary", HeaderSummary)
        state = (counts, tuple(extras), view)
        if state != (left.counts, left.extras, left.view):
            left.counts, left.extras, left.view = state
            # 1fr wide and one line high: new words never change the layout.
            left.refresh(layout=False)

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
