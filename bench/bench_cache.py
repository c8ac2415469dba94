"""How fast the cache persists a poll cycle and loads, next to TinyDB's default storage.

Run: ``python bench/bench_cache.py`` (about a minute). It builds a cache of
1,000 workers and 100,000 check-ins, then times persisting one poll cycle (the
1,000-row roster again plus 500 new check-ins) with farwatch's cache, and the
same 500 check-ins inserted with TinyDB's default ``JSONStorage`` — once the
TinyDB-default way (``insert`` per record, each rewriting the whole file) and
once batched (``insert_multiple``, one rewrite). It also times loading the
cache from disk (open + snapshot). Figures are medians of several runs.

One ``insert`` into a 100,000-document TinyDB file takes over a second, so by
default the per-record figure is projected from a sample of single inserts;
``--full`` times all of them (expect ten minutes or more).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tinydb import TinyDB

from farwatch.sources.model import CheckIn, FetchResult, RosterRow
from farwatch.state.cache import Cache
from farwatch.state.snapshot import SourceHealth

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
TASKS = ("invoices", "inbox zero", "lead research", "ticket triage", "bookkeeping", "QA pass")
ZONES = ("Asia/Manila", "Africa/Lagos", "Europe/Kyiv", "America/Sao_Paulo", "Asia/Dhaka")


def roster(workers: int) -> list[RosterRow]:
    return [
        RosterRow(
            worker_id=f"w{i:04d}",
            name=f"Worker {i:04d}",
            email=f"worker{i:04d}@example.com",
            task=TASKS[i % len(TASKS)],
            cap_hours=40.0,
            timezone=ZONES[i % len(ZONES)],
            category=("BPO", "KPO", "TSO", "VA")[i % 4],
        )
        for i in range(workers)
    ]


def checkins(prefix: str, count: int, workers: int, rng: random.Random) -> list[CheckIn]:
    out = []
    for i in range(count):
        task = TASKS[rng.randrange(len(TASKS))]
        out.append(
            CheckIn(
                key=f"<{prefix}{i}.{rng.getrandbits(32):08x}@mail.example.com>",
                who=f"worker{rng.randrange(workers):04d}@example.com",
                at=NOW - timedelta(seconds=rng.randrange(80 * 86400)),
                subject=f"Re: {task} - update {i}",
                first_line=f"Done with the {task} batch, starting the next one now.",
                kind="checkin",
                task=task,
            )
        )
    return out


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def human(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=1000)
    ap.add_argument("--checkins", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=500, help="new records per poll cycle")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--sample", type=int, default=12, help="single TinyDB inserts to time")
    ap.add_argument("--full", action="store_true", help="time every single TinyDB insert")
    args = ap.parse_args(argv)
    rng = random.Random(7)
    team = roster(args.workers)
    work = Path(tempfile.mkdtemp(prefix="farwatch-bench-"))
    try:
        return run(args, rng, team, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, rng: random.Random, team: list[RosterRow], work: Path) -> int:
    path = work / "farwatch.db"
    print(f"building a cache of {args.workers:,} workers and {args.checkins:,} check-ins ...")
    cache = Cache.open(path, retention=0)
    cache.apply("sheet", FetchResult(roster=team, roster_complete=True), NOW)
    cache.apply(
        "mail", FetchResult(checkins=checkins("base", args.checkins, args.workers, rng)), NOW
    )
    cache.commit()
    size_mb = path.stat().st_size / 1e6
    tiny_path = work / "tinydb-default.json"
    shutil.copyfile(path, tiny_path)  # the same tables; TinyDB's JSONStorage reads them as is

    # -- farwatch: one poll cycle = apply roster + new check-ins + health, prune, commit
    cycle_times, commit_times = [], []
    for run_no in range(args.runs):
        fresh = checkins(f"new{run_no}-", args.new, args.workers, rng)

        def cycle(fresh: list[CheckIn] = fresh) -> None:
            cache.apply("sheet", FetchResult(roster=team, roster_complete=True), NOW)
            cache.apply("mail", FetchResult(checkins=fresh, cursor={"uid": 1}), NOW)
            for name, kind in (("sheet", "sheet"), ("mail", "imap")):
                cache.set_health(SourceHealth(name=name, type=kind, last_success=NOW))
            cache.prune(NOW)
            started = time.perf_counter()
            cache.commit()
            commit_times.append(time.perf_counter() - started)

        writes = cache.writes
        cycle_times.append(timed(cycle))
        assert cache.writes == writes + 1, "a poll cycle must write the file exactly once"
    cache.close()
    farwatch_cycle = statistics.median(cycle_times)

    # -- TinyDB default storage, the same new records
    db = TinyDB(tiny_path)
    table = db.table("checkins")

    def docs(prefix: str) -> list[dict[str, object]]:
        return [
            {
                "source": "mail",
                "key": c.key,
                "who": c.who,
                "at": c.at.isoformat(),
                "subject": c.subject,
                "first_line": c.first_line,
                "kind": c.kind,
                "task": c.task,
            }
            for c in checkins(prefix, args.new, args.workers, rng)
        ]

    singles = docs("single-")
    count = len(singles) if args.full else min(args.sample, len(singles))
    print(f"timing {count} single TinyDB inserts (each rewrites the {size_mb:.0f} MB file) ...")
    single_times = []
    for doc in singles[:count]:
        started = time.perf_counter()
        table.insert(doc)
        single_times.append(time.perf_counter() - started)
    per_insert_total = (
        sum(single_times) if args.full else statistics.median(single_times) * args.new
    )
    print("timing batched TinyDB inserts ...")
    batch_times = []
    for n in range(args.runs):
        batch = docs(f"batch{n}-")
        started = time.perf_counter()
        table.insert_multiple(batch)
        batch_times.append(time.perf_counter() - started)
    tiny_batch = statistics.median(batch_times)
    db.close()

    # -- loading from disk
    load_times = []
    for _ in range(args.runs):

        def load() -> None:
            reader = Cache.open(path, retention=0, writer=False)
            reader.snapshot()
            reader.close()

        load_times.append(timed(load))
    tiny_load_times = []
    for _ in range(args.runs):

        def tiny_load() -> None:
            TinyDB(tiny_path).table("checkins").all()

        tiny_load_times.append(timed(tiny_load))

    # -- report
    marker = "" if args.full else "*"
    rows = [
        ("persist one poll cycle", None, None),
        ("  farwatch cache (one atomic orjson write)", farwatch_cycle, farwatch_cycle),
        ("    of which the file write", statistics.median(commit_times), None),
        (f"  TinyDB JSONStorage, insert() x {args.new}{marker}", per_insert_total, farwatch_cycle),
        ("  TinyDB JSONStorage, insert_multiple()", tiny_batch, farwatch_cycle),
        ("load from disk", None, None),
        ("  farwatch: open read-only + snapshot", statistics.median(load_times), None),
        ("  TinyDB JSONStorage: open + all()", statistics.median(tiny_load_times), None),
    ]
    print()
    print(
        f"cache of {args.workers:,} workers and {args.checkins:,} check-ins ({size_mb:.1f} MB); "
        f"poll cycle = {args.workers:,}-row roster + {args.new} new check-ins; "
        f"median of {args.runs} runs"
    )
    print(f"{'':50} {'time':>10} {'vs farwatch':>12}")
    for label, value, base in rows:
        if value is None:
            print(label)
            continue
        ratio = f"{value / base:,.1f}x" if base else ""
        print(f"{label:50} {human(value):>10} {ratio:>12}")
    if not args.full:
        print(
            f"* projected: {args.new} x the median of {count} timed single inserts "
            f"({human(statistics.median(single_times))} each); --full times them all"
        )
    print(
        "farwatch's figure includes matching the whole roster and updating source health; "
        "TinyDB's only inserts the check-ins."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
