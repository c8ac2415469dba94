"""Dashboard benchmarks: first frame, idle cost, and the main-thread cost of a poll.

    python bench/bench_tui.py [--runs N] [--idle-seconds S]

1. First frame from a warm cache of 200 workers (a real Engine over a real
   cache file), against a bare Textual app showing a 200-row DataTable: the
   ratio of medians, measured in the same run.
2. Idle: the dashboard with 500 workers and ages ticking every second runs
   under a pseudo-terminal; CPU time of the process and bytes it wrote to the
   terminal are measured over a window and extrapolated to a minute.
3. A poll that changes 10 of 1,000 rows: time spent on the main thread
   applying it (diff, update_cell, sort) — the handler, and handler + repaint.

This is a benchmark, not a test: it prints figures for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import random
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from farwatch.sources.model import CapPeriod, CheckIn, FetchResult, RosterRow, TimeEntry
from farwatch.state.cache import Cache
from farwatch.state.engine import Engine
from farwatch.state.settings import CacheSettings, Settings, UiSettings
from farwatch.tui.app import build_app
from farwatch.tui.messages import DataReady
from farwatch.tui.widgets.worker_table import WorkerTable

ZONES = ("Asia/Manila", "Africa/Lagos", "Europe/Kyiv", "America/Sao_Paulo", "Asia/Kolkata", "UTC")
CATEGORIES = ("BPO", "KPO", "TSO", "VA")
PERIODS: tuple[CapPeriod, ...] = ("week", "week", "day", "month")
SIZE = (120, 40)


def build_cache(path: Path, workers: int, now: datetime) -> None:
    """A cache file as a poller would leave it: roster, a week of check-ins and entries."""
    rng = random.Random(11)
    roster, checkins, entries = [], [], []
    for n in range(workers):
        email = f"worker{n}@example.com"
        roster.append(
            RosterRow(
                worker_id=f"w{n:04d}",
                name=f"Worker {n:04d}",
                email=email,
                task=rng.choice(("Support queue", "Invoices", "Research", "Data entry")),
                cap_hours=rng.choice((None, 20.0, 40.0)),
                cap_period=rng.choice(PERIODS),
                timezone=rng.choice(ZONES),
                hours="00:00-23:59",
                days="daily",
                category=rng.choice(CATEGORIES),
            )
        )
        recent = n % 5 == 0  # a fifth checked in within the hour: their ages move
        for c in range(8):
            at = now - timedelta(minutes=rng.randint(0, 60 if recent else 7 * 24 * 60))
            checkins.append(CheckIn(f"<{n}.{c}@mail>", email, at, f"update {c}", "first line"))
        for day in range(7):
            start = now - timedelta(days=day, hours=rng.randint(1, 8))
            end = None if day == 0 and n % 10 == 0 else start + timedelta(hours=rng.randint(1, 4))
            entries.append(TimeEntry(f"e{n}.{day}", email, start, end, "Support queue"))
    cache = Cache.open(path, retention=90 * 86400.0)
    cache.apply("sheet", FetchResult(roster=roster, roster_complete=True), now)
    cache.apply("mail", FetchResult(checkins=checkins), now)
    cache.apply("tracker", FetchResult(entries=entries), now)
    cache.commit()
    cache.close()


def open_engine(path: Path, tick: float = 1.0) -> Engine:
    settings = Settings(
        path=None,
        cache=CacheSettings(path=path),
        ui=UiSettings(bell=False, tick=tick),
        audit_path=path.with_name("audit.jsonl"),
    )
    engine = Engine(settings, sources=[])
    engine.open()
    return engine


class BareTable(App[None]):
    """The floor: a 200-row DataTable and nothing else."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("State", "Worker", "Last check-in", "Burn", "Task", "Local", "Cat", "24h")
        for n in range(self.rows):
            table.add_row(
                "●", f"Worker {n:04d}", "2 hours", "██░░░░ 12/40h 30%", "Support queue",
                "14:05", "VA", "▁▂▃▄▅▆▇█▇▆▅▄", key=str(n),
            )  # fmt: skip


def _in_pty(run_child: Callable[[], None]) -> tuple[int, int, float]:
    """Fork ``run_child`` onto a pseudo-terminal of SIZE; (pid, master fd, fork time)."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: size the terminal before the app asks for it
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.environ.update(TERM="xterm-256color", COLORTERM="truecolor")
            run_child()
        finally:
            os._exit(0)
    return pid, fd, started


def _stop(pid: int, fd: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)


def first_frame(run_child: Callable[[], None], marker: bytes, timeout: float = 20.0) -> float:
    """Seconds from fork until ``marker`` (text of the first frame) reaches the terminal.

    Modules are imported before the fork, so both apps pay only for what they
    do at start-up: read data, build widgets, lay out and paint.
    """
    pid, fd, started = _in_pty(run_child)
    seen = b""
    try:
        deadline = started + timeout
        while marker not in seen:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no {marker!r} within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                seen = seen[-4096:] + os.read(fd, 65536)
        return time.perf_counter() - started
    finally:
        _stop(pid, fd)


def bench_first_frame(work: Path, runs: int) -> None:
    path = work / "ff" / "farwatch.db"
    path.parent.mkdir()
    build_cache(path, 200, datetime.now(UTC))

    def farwatch() -> None:
        build_app(open_engine(path), live=False).run()

    def bare() -> None:
        BareTable(200).run()

    farwatch_times, bare_times = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        farwatch_times.append(first_frame(farwatch, b"200 workers"))
        bare_times.append(first_frame(bare, b"Worker 0000"))
    fw, floor = statistics.median(farwatch_times), statistics.median(bare_times)
    print(f"first frame on a {SIZE[0]}x{SIZE[1]} pseudo-terminal, 200 workers (median of {runs})")
    print(f"  farwatch (warm cache, real engine): {fw * 1000:7.1f} ms")
    print(f"  bare Textual 200-row DataTable:     {floor * 1000:7.1f} ms")
    print(f"  ratio: {fw / floor:.2f}x (target <= 1.3x)")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


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


def bench_idle(work: Path, seconds: float) -> None:
    path = work / "idle" / "farwatch.db"
    path.parent.mkdir()
    build_cache(path, 500, datetime.now(UTC))
    pid, fd, _ = _in_pty(lambda: build_app(open_engine(path)).run())
    try:
        startup = _drain(fd, 4.0)  # start-up and first frames
        cpu0, bytes_ = _cpu_seconds(pid), 0
        t0 = time.monotonic()
        bytes_ = _drain(fd, seconds)
        wall = time.monotonic() - t0
        cpu = _cpu_seconds(pid) - cpu0
    finally:
        _stop(pid, fd)
    print(f"idle, 500 workers, ages ticking every 1 s ({wall:.0f} s window, {SIZE[0]}x{SIZE[1]})")
    print(f"  start-up output: {startup:,} bytes")
    print(f"  CPU: {100 * cpu / wall:.2f}% of one core (target < 3%)")
    print(f"  terminal output: {bytes_ * 60 / wall:,.0f} bytes per idle minute")


async def _poll_cost(path: Path, repeats: int) -> tuple[list[float], list[float], int]:
    engine = open_engine(path)
    app = build_app(engine, live=False)
    handler, with_paint = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        base = engine.statuses(app.now)
        table = app.screen.query_one(WorkerTable)
        table_rows = table.row_count
        rng = random.Random(3)
        for n in range(repeats):
            changed = list(base)  # cumulative: each poll changes ten more rows
            for i in rng.sample(range(len(changed)), 10):
                changed[i] = replace(changed[i], task=f"new task {n}.{i}")
            base = changed
            message = DataReady(changed, engine.health(), app.now)
            updates = table.updates
            started = time.perf_counter()
            app.on_data_ready(message)  # store, compare levels, publish
            app.screen.on_data()  # what the published signal runs next: the table diff
            handler.append(time.perf_counter() - started)
            assert table.updates - updates == 10, "exactly the ten changed cells"
            app.screen._compositor.render_update(full=True)  # the repaint it causes
            with_paint.append(time.perf_counter() - started)
            await pilot.pause()
        ticks, derives = [], []
        for _ in range(repeats):  # a clock tick vs re-deriving everything
            app.now = app.now + timedelta(seconds=1)
            started = time.perf_counter()
            app.screen.on_tick()
            ticks.append(time.perf_counter() - started)
        for _ in range(5):
            started = time.perf_counter()
            engine.statuses(app.now)
            derives.append(time.perf_counter() - started)
    engine.close()
    print(
        f"clock tick over {table_rows:,} rows: {statistics.median(ticks) * 1000:6.2f} ms "
        f"(re-deriving instead: {statistics.median(derives) * 1000:.1f} ms, done off the "
        "main thread every 30 s)"
    )
    return handler, with_paint, table_rows


def bench_poll(work: Path, repeats: int) -> None:
    path = work / "poll" / "farwatch.db"
    path.parent.mkdir()
    build_cache(path, 1000, datetime.now(UTC))
    handler, with_paint, rows = asyncio.run(_poll_cost(path, repeats))
    print(f"poll changing 10 of {rows:,} rows (median of {repeats})")
    print(f"  main thread, apply: {statistics.median(handler) * 1000:6.2f} ms (target < 20 ms)")
    print(f"  apply + full repaint: {statistics.median(with_paint) * 1000:6.2f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle-seconds", type=float, default=90.0)
    parser.add_argument("--only", choices=("first", "idle", "poll"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="farwatch-bench-tui-"))
    try:
        if args.only in (None, "first"):
            bench_first_frame(work, args.runs)
        if args.only in (None, "poll"):
            bench_poll(work, 20)
        if args.only in (None, "idle"):
            bench_idle(work, args.idle_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
