"""Floors for the dashboard figures: what a bare Textual app costs doing the least.

    python bench/bench_floor_textual.py [--idle-seconds S] [--runs N]

``bench_tui.py`` measures farwatch's idle cost and the main-thread cost of a
poll; this measures the same things for a bare Textual app in the same way,
so ``run_all`` can print each figure beside its floor:

- idle: a 500-row ``DataTable`` under a 120x40 pseudo-terminal with a header
  clock ticking every second (the least a live dashboard repaints), its CPU
  and the bytes it writes to the terminal per minute;
- update: ten ``update_cell`` calls on a 1,000-row ``DataTable`` (what any
  table must do to show ten changed rows), on the main thread.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Header

SIZE = (120, 40)
COLUMNS = ("State", "Worker", "Last check-in", "Burn", "Task", "Local", "Cat", "24h")


class BareDashboard(App[None]):
    """A DataTable of ``rows`` workers and, optionally, a clock ticking in the header."""

    def __init__(self, rows: int, clock: bool) -> None:
        super().__init__()
        self.rows, self.clock = rows, clock

    def compose(self) -> ComposeResult:
        if self.clock:
            yield Header(show_clock=True)
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        for n in range(self.rows):
            table.add_row(
                "●", f"Worker {n:04d}", "2 hours", "██░░░░ 12/40h 30%", "Support queue",
                "14:05", "VA", "▁▂▃▄▅▆▇█▇▆▅▄", key=str(n),
            )  # fmt: skip


@dataclass(frozen=True, slots=True)
class IdleFloor:
    name: str
    cpu_percent: float
    bytes_per_minute: float


@dataclass(frozen=True, slots=True)
class UpdateFloor:
    name: str
    ms: float


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(fd: int, seconds: float) -> int:
    total, end = 0, time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                total += len(os.read(fd, 65536))
            except OSError:
                break
    return total


def idle_floor(seconds: float = 20.0, rows: int = 500) -> IdleFloor:
    """CPU (% of one core) and terminal bytes per minute of the bare app sitting idle."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.environ.update(TERM="xterm-256color", COLORTERM="truecolor")
            BareDashboard(rows, clock=True).run()
        finally:
            os._exit(0)
    try:
        _drain(fd, 4.0)  # start-up and first frames, as bench_tui does
        cpu0, t0 = _cpu_seconds(pid), time.monotonic()
        written = _drain(fd, seconds)
        wall = time.monotonic() - t0
        cpu = _cpu_seconds(pid) - cpu0
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return IdleFloor(
        f"bare {rows}-row DataTable + 1 s clock",
        100 * cpu / wall,
        written * 60 / wall,
    )


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
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    update = update_floor(args.runs)
    print(f"{update.name}: {update.ms:.2f} ms (median of {args.runs})")
    idle = idle_floor(args.idle_seconds)
    print(f"{idle.name}, idle {args.idle_seconds:.0f} s on {SIZE[0]}x{SIZE[1]}:")
    print(f"  CPU: {idle.cpu_percent:.2f}% of one core")
    print(f"  terminal output: {idle.bytes_per_minute:,.0f} bytes per idle minute")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
