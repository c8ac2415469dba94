"""The floor for the poll figure: ten ``update_cell`` calls on a bare DataTable.

    python bench/bench_floor_textual.py [--runs N]

``bench_tui.py`` measures the main-thread cost of a poll changing ten rows of
1,000; this measures what any table must do to show ten changed rows, on the
same floor app (``floor_app.py``), so ``run_all`` can print one beside the
other. The dashboard's other floors (first frame, idle) run ``floor_app.py``
as a process from ``bench_tui.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from textual.widgets import DataTable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor_app import BareDashboard

SIZE = (120, 40)


@dataclass(frozen=True, slots=True)
class UpdateFloor:
    name: str
    ms: float


async def _update_times(rows: int, runs: int) -> list[float]:
    app = BareDashboard(rows, clock=False)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        for run in range(runs):
            keys = [str((run * 97 + i * 101) % rows) for i in range(10)]
            started = time.perf_counter()
            for key in keys:
                table.update_cell(key, "Task", f"new task {run}")
            times.append(time.perf_counter() - started)
            await pilot.pause()
    return times


def update_floor(runs: int = 20, rows: int = 1000) -> UpdateFloor:
    """Main-thread time of ten ``update_cell`` calls on a bare DataTable (median)."""
    times = asyncio.run(_update_times(rows, runs))
    return UpdateFloor(
        f"bare DataTable, 10 update_cell of {rows:,}", statistics.median(times) * 1000
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    update = update_floor(args.runs)
    print(f"{update.name}: {update.ms:.2f} ms (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
