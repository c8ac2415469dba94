"""Dashboard benchmarks: first frame, idle cost, and the main-thread cost of a poll.

    python bench/bench_tui.py [--runs N] [--idle-seconds S] [--only first|idle|poll]

1. First frame, whole process: from spawning ``farwatch`` (the dashboard on a
   warm cache of 200 workers, and of 1,000 workers / 100,000 check-ins) until
   its first full frame is on a 120x40 pseudo-terminal, imports included,
   against the same for ``floor_app.py`` (Header + DataTable + Footer with as
   many rows, all added before the first frame). Alternated, medians.
2. Idle, side by side: the dashboard with 500 workers (ages ticking every
   second) and the floor app with 500 rows and a header clock ticking every
   second run at the same time, each on its own pseudo-terminal; their CPU
   and terminal bytes are sampled every 10 s over the same window. Mean per
   minute and the worst minute (a sliding 60 s window) of each.
3. A poll that changes 10 of 1,000 rows: time spent on the main thread
   applying it (diff, update_cell, sort) — the handler, and handler + repaint.

This is a benchmark, not a test: it prints figures for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from floor_app import READY

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


HERE = Path(__file__).resolve().parent


def write_config(cache: Path) -> Path:
    """A config for the dashboard on ``cache``: no sources, so nothing polls meanwhile."""
    config = cache.with_name("config.toml")
    config.write_text(f'[cache]\npath = "{cache}"\nretention = "3650d"\n[ui]\ntick = "1s"\n')
    return config


INSTALLED = ("farwatch", "farwatch.tui", "farwatch.themes", "farwatch.actions", "farwatch.state",
             "farwatch.sources")  # fmt: skip
"""farwatch's folders (``farwatch`` holds ``cli`` and ``demo``)."""


def compile_farwatch() -> None:
    """Write farwatch's bytecode, as installing it does, so both apps start from bytecode.

    pip writes the bytecode of what it installs, Textual's included. An
    editable install writes farwatch's on its first run, unless
    PYTHONDONTWRITEBYTECODE is set (as on the machines these figures come
    from): then every timed start compiled farwatch from source, 0.25-0.5 s
    of CPU the floor never paid, while it read Textual's bytecode.
    """
    import compileall
    import importlib

    for name in INSTALLED:
        for folder in importlib.import_module(name).__path__:
            compileall.compile_dir(folder, quiet=1)


def farwatch_argv(config: Path) -> list[str]:
    script = Path(sys.executable).with_name("farwatch")
    found = str(script) if script.exists() else shutil.which("farwatch")
    if found is None:
        raise RuntimeError("farwatch is not installed beside this Python (pip install -e .)")
    return [found, "--config", str(config)]


def floor_argv(rows: int, *, clock: bool = False) -> list[str]:
    return [
        sys.executable,
        str(HERE / "floor_app.py"),
        "--rows",
        str(rows),
        *(["--clock"] if clock else []),
    ]


def spawn(argv: list[str]) -> tuple[int, int, float]:
    """Start ``argv`` on a pseudo-terminal of SIZE; (pid, master fd, spawn time)."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: size the terminal before the app asks for it
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.environ.update(TERM="xterm-256color", COLORTERM="truecolor")
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid, fd, started


def _stop(pid: int, fd: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)


def first_frame(argv: list[str], marker: bytes, timeout: float = 60.0) -> float:
    """Seconds from spawning the process until ``marker`` (text of its first full frame)
    reaches the terminal: interpreter start, imports, data, layout and paint."""
    pid, fd, started = spawn(argv)
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


def bench_first_frame(work: Path, runs: int, workers: int, checkins: int | None) -> None:
    """``checkins`` None: the small 200-worker cache; else a bigteam cache of that size."""
    folder = work / f"ff{workers}"
    folder.mkdir()
    if checkins is None:
        path = folder / "farwatch.db"
        build_cache(path, workers, datetime.now(UTC))
        label = f"{workers} workers"
    else:
        import bigteam

        path = bigteam.build(folder, workers, checkins).cache
        label = f"{workers:,} workers / {checkins:,} check-ins"
    farwatch = farwatch_argv(write_config(path))
    floor = floor_argv(workers)
    marker = f"{workers} workers".encode()
    compile_farwatch()
    first_frame(farwatch, marker)  # warm the page cache for both
    first_frame(floor, READY.encode())
    farwatch_times, floor_times = [], []
    for _ in range(runs):  # alternated, so drift hits both alike
        farwatch_times.append(first_frame(farwatch, marker))
        floor_times.append(first_frame(floor, READY.encode()))
    fw, fl = statistics.median(farwatch_times), statistics.median(floor_times)
    print(f"first frame, whole process, {label} (median of {runs}, {SIZE[0]}x{SIZE[1]})")
    print(f"  farwatch dashboard: {fw * 1000:7.1f} ms")
    print(f"  floor app:          {fl * 1000:7.1f} ms")
    print(f"  ratio: {fw / fl:.2f}x")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _drain(fds: list[int], seconds: float, totals: list[int]) -> None:
    """Read every terminal for ``seconds``, adding the bytes each wrote to ``totals``."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select(fds, [], [], left)
        for fd in ready:
            with contextlib.suppress(OSError):  # the app has exited
                totals[fds.index(fd)] += len(os.read(fd, 65536))


def _per_minute(samples: list[tuple[float, float, int]], step: float) -> tuple[float, ...]:
    """Mean CPU %, worst-minute CPU %, mean bytes/min, worst-minute bytes/min."""
    t0, c0, b0 = samples[0]
    t1, c1, b1 = samples[-1]
    wall = t1 - t0
    per_window = max(1, round(60 / step))
    cpu_worst, bytes_worst = 100 * (c1 - c0) / wall, (b1 - b0) * 60 / wall
    for i in range(len(samples) - per_window):
        (ta, ca, ba), (tb, cb, bb) = samples[i], samples[i + per_window]
        cpu_worst = max(cpu_worst, 100 * (cb - ca) / (tb - ta))
        bytes_worst = max(bytes_worst, (bb - ba) * 60 / (tb - ta))
    return 100 * (c1 - c0) / wall, cpu_worst, (b1 - b0) * 60 / wall, bytes_worst


def bench_idle(work: Path, seconds: float, step: float = 10.0) -> None:
    folder = work / "idle"
    folder.mkdir()
    path = folder / "farwatch.db"
    build_cache(path, 500, datetime.now(UTC))
    procs = [spawn(farwatch_argv(write_config(path)))[:2], spawn(floor_argv(500, clock=True))[:2]]
    fds = [fd for _, fd in procs]
    totals = [0, 0]
    try:
        _drain(fds, 5.0, totals)  # start-up and first frames
        samples: list[list[tuple[float, float, int]]] = [[], []]
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            for n, (pid, _) in enumerate(procs):
                samples[n].append((now, _cpu_seconds(pid), totals[n]))
            if now >= end:
                break
            _drain(fds, min(step, end - now), totals)
    finally:
        for pid, fd in procs:
            _stop(pid, fd)
    wall = samples[0][-1][0] - samples[0][0][0]
    print(
        f"idle side by side, 500 workers, ages/clock ticking every 1 s "
        f"({wall:.0f} s window, sampled every {step:.0f} s, {SIZE[0]}x{SIZE[1]})"
    )
    for name, series in zip(("farwatch", "floor"), samples, strict=True):
        cpu, cpu_worst, written, written_worst = _per_minute(series, step)
        print(
            f"  {name}: CPU {cpu:.2f}% of one core (worst minute {cpu_worst:.2f}%); "
            f"terminal {written:,.0f} bytes/min (worst minute {written_worst:,.0f})"
        )


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
        "main thread once a minute)"
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
    parser.add_argument("--idle-seconds", type=float, default=180.0)
    parser.add_argument("--only", choices=("first", "idle", "poll"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="farwatch-bench-tui-"))
    try:
        if args.only in (None, "first"):
            bench_first_frame(work, args.runs, 200, None)
            bench_first_frame(work, max(3, args.runs // 2), 1000, 100_000)
        if args.only in (None, "poll"):
            bench_poll(work, 20)
        if args.only in (None, "idle"):
            bench_idle(work, args.idle_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
