"""The dashboard floor: a bare Textual app with a Header, a DataTable and a Footer.

    python bench/floor_app.py [--rows N] [--clock]

Every row is added before the first frame, so the first frame is a full one.
Run as its own process so its start-up, imports included, is measured the
way farwatch's is. Only Textual is imported: nothing of farwatch.
"""

from __future__ import annotations

import argparse
import sys
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header

COLUMNS = ("State", "Worker", "Last check-in", "Burn", "Task", "Local", "Cat", "24h")
READY = "Floor ready"
"""The footer's text: on the terminal once the first full frame is."""


class BareDashboard(App[None]):
    """``rows`` workers in a DataTable; with ``clock``, the header ticks every second."""

    BINDINGS: ClassVar = [Binding("q", "quit", READY)]

    def __init__(self, rows: int, clock: bool = False) -> None:
        super().__init__()
        self.rows, self.clock = rows, clock

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.clock)
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        for n in range(self.rows):
            table.add_row(
                "●", f"Worker {n:04d}", "2 hours", "██░░░░ 12/40h 30%", "Support queue",
                "14:05", "VA", "▁▂▃▄▅▆▇█▇▆▅▄", key=str(n),
            )  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--clock", action="store_true")
    args = parser.parse_args(argv)
    BareDashboard(args.rows, args.clock).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
