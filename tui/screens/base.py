"""Shared plumbing for farwatch screens: typed access to the app and its data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from farwatch.tui.app import FarwatchApp


class FarwatchScreen(Screen[Any]):
    """A screen that follows the app's data and clock ticks.

    Subclasses override ``on_data`` (new statuses/health) and ``on_tick``
    (time moved, nothing else changed); both are called only while the screen
    is mounted, and once on mount so it never shows stale rows.
    """

    @property
    def fw(self) -> FarwatchApp:
        return cast("FarwatchApp", self.app)

    def on_mount(self) -> None:
        self.fw.data_signal.subscribe(self, self._data_signal)
        self.fw.tick_signal.subscribe(self, self._tick_signal)
        self.on_data()

    def on_screen_suspend(self) -> None:
        self.refresh_bindings()  # a dialog on top: the key bar shows its keys

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    def _data_signal(self, _: object) -> None:
        self.on_data()

    def _tick_signal(self, _: object) -> None:
        self.on_tick()

    def on_data(self) -> None:
        """Redraw from ``self.fw`` (statuses, health, now, palette)."""

    def on_tick(self) -> None:
        """Update only what depends on the clock."""
