"""``?``: every key that works where the owner was, as currently bound."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "farwatch shows each worker's last check-in against their own working hours "
    "and the hours burned against their cap. Symbols: ● ok  ▲ warning  ✖ alert  "
    "◌ off hours  ? never checked in  ‖ paused."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close_help"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(INTRO, style="italic"), id="help-intro", markup=False)
            yield Static(self._keys_table(), id="help-keys", markup=False)
            yield Static(
                Text(
                    "Ctrl+P opens the command palette (every action, by name). "
                    "Keys are rebindable by id in [ui.keys] of the config."
                ),
                markup=False,
            )

    def _keys_table(self) -> Table:
        stack = [s for s in self.app.screen_stack if s is not self]
        below = stack[-1] if stack else None
        table = Table(box=None, show_header=True, header_style="bold", expand=False)
        table.add_column("Key")
        table.add_column("Does")
        table.add_column("Id", style="dim")
        if below is None:
            return table
        seen: set[str] = set()
        for active in below.active_bindings.values():
            binding = active.binding
            if not binding.id or not binding.description or binding.id in seen:
                continue
            seen.add(binding.id)
            label = self.app.get_key_display(binding)
            table.add_row(Text(label), Text(binding.description), Text(binding.id or ""))
        # A focused widget can shadow a screen key (the table's own Enter hides
        # "Enter  Detail"); the screen's keys are listed all the same.
        for declared in type(below).BINDINGS:
            if not isinstance(declared, Binding) or not declared.id or not declared.description:
                continue
            if declared.id not in seen and declared.show:
                seen.add(declared.id)
                label = self.app.get_key_display(declared)
                table.add_row(Text(label), Text(declared.description), Text(declared.id))
        return table
