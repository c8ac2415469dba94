"""A one-line key bar: the keys of the current screen, as bound now (keymap included).

Textual's ``Footer`` builds a widget per key and recomposes on every focus
change; a dashboard that must start fast and idle quietly needs only one line
of text, rebuilt when the screen's bindings change.

A modal dialog (help, pause, resume) leaves this bar in view below it, but
the keys of the screen under it do nothing while it is open: the bar then
shows the dialog's keys (its screen refreshes the bar when covered and
uncovered).
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CLASSES = "fw-keybar"

    def __init__(self) -> None:
        super().__init__(markup=False)
        self._shown: tuple[tuple[str, str], ...] = ()
        self._palette = True

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        top = self.app.screen
        palette = top is screen  # the hint is for this screen's own keys
        if not palette and top.is_modal:
            screen = top  # only the dialog's keys work now
        keys: list[tuple[str, str]] = []
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((self.app.get_key_display(binding), binding.description))
        shown = tuple(keys)
        if (shown, palette) == (self._shown, self._palette):
            return
        self._shown, self._palette = shown, palette
        self._render_keys()

    def on_resize(self) -> None:
        self._render_keys()

    def _render_keys(self) -> None:
        """``/ Filter  o Sort ...``; the palette hint only when it fits."""
        entries = [*self._shown]
        width = self.size.width or self.app.size.width
        fits = sum(len(k) + len(d) + 3 for k, d in entries) + len("^p palette") + 1 <= width
        if self._palette and fits:
            entries.append(("^p", "palette"))
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        for key, description in entries:
            line.append(f" {key}", style="bold")
            line.append(f" {description} ")
        self.update(line)
