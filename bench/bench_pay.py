"""``farwatch pay --json`` on a big team, beside ``status --json`` and the orjson floor.

    python bench/bench_pay.py [--workers N] [--entries N] [--runs N]

Builds the status benchmark's team (1,000 workers, 100,000 check-ins) and
gives it 100,000 time entries in all (100 a worker over the last 80 days,
some overlapping, one running timer in ten) and a rate and currency per
worker, then times, in turns, each as a fresh process from spawn to exit:

- ``farwatch pay --json`` (open the cache read-only, derive statuses, merge
  each worker's time, split it at the caps, price it, print the document);
- ``farwatch status --json`` on the same cache, for comparison;
- the floor: ``python -c`` reading the same cache file with orjson.

Prints medians and ratios to the floor. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_status import READ_WITH_ORJSON, farwatch_command
from bigteam import NOW, build, cache_bytes, cache_files
from figures import Figure, interleaved, wall_time

from farwatch.sources.model import FetchResult, TimeEntry
from farwatch.state.cache import Cache

CURRENCIES = ("USD", "EUR", "PHP", "JPY", "BHD")


def add_work(cache_path: Path, workers: int, total: int) -> None:
    """``total`` time entries spread over the team, and a rate for everyone."""
    rng = random.Random(20261130)
    per_worker = max(1, total // workers)
    entries = []
    for n in range(workers):
        for i in range(per_worker):
            start = NOW - timedelta(minutes=rng.randrange(80 * 24 * 60))
            running = i == 0 and n % 10 == 0
            end = None if running else start + timedelta(minutes=rng.randint(15, 240))
            who = f"worker{n}@example.com"
            entries.append(TimeEntry(f"p{n}.{i}", who, start, end, "tickets"))
    cache = Cache.open(cache_path, retention=0)
    try:
        snapshot = cache.snapshot()
        rows = [
            replace(row, rate=float(rng.randint(4, 40)), currency=rng.choice(CURRENCIES))
            for row in snapshot.all_roster()
        ]
        cache.apply("roster", FetchResult(roster=rows, roster_complete=True), NOW)
        cache.apply("tracker", FetchResult(entries=entries, running_complete=True), NOW)
        cache.commit()
    finally:
        cache.close()


def measure(workers: int = 1000, entries: int = 100_000, runs: int = 5) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="farwatch-bench-pay-"))
    try:
        team = build(folder, workers, 100_000)
        add_work(team.cache, workers, entries)
        stamp = NOW.isoformat().replace("+00:00", "Z")
        config = ["--config", str(team.config), "--now", stamp]
        pay = [*farwatch_command(), "pay", "--json", *config]
        status = [*farwatch_command(), "status", "--json", *config]
        floor = [sys.executable, "-c", READ_WITH_ORJSON, *map(str, cache_files(team.cache))]

        def check(out: bytes) -> None:
            document = orjson.loads(out)
            if len(document["workers"]) != workers:
                raise RuntimeError(f"pay --json listed {len(document['workers'])} workers")

        wall_time(pay, check_output=check)  # warm the page cache and bytecode
        wall_time(status)
        wall_time(floor)
        pw, sw, fl = interleaved(
            runs, lambda: wall_time(pay), lambda: wall_time(status), lambda: wall_time(floor)
        )
        size = cache_bytes(team.cache) / 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    scale = f"{workers:,} workers / {entries:,} entries"
    return [
        Figure(
            f"pay --json, {scale}",
            pw * 1000,
            "ms",
            floor=fl * 1000,
            floor_name="python -c, orjson-read the cache",
            target="—",
            note=f"status --json on the same {size:.0f} MB cache: {sw * 1000:.0f} ms",
        )
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    for fig in measure(args.workers, args.entries, args.runs):
        print(fig.name)
        print(f"  farwatch pay --json:                  {fig.value:8.0f} ms")
        print(f"  floor ({fig.floor_name}): {fig.floor or 0:8.0f} ms")
        print(f"  {fig.note}")
        print(f"  ratio: {fig.ratio:.2f}x the floor (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
