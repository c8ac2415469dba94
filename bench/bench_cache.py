"""How fast the cache persists a poll cycle and loads, next to the true floors.

Run: ``python bench/bench_cache.py`` (about a minute). It builds a cache of
1,000 workers and 100,000 check-ins (and one of a quarter the size), then, in
turns so drift hits both alike:

- persist one poll cycle (the 1,000-row roster again plus 500 new check-ins,
  source health, prune, commit) with farwatch's cache, against the floor:
  ``orjson.dumps`` of the same tables + write + fsync + rename, nothing else;
- load (open read-only + snapshot, every check-in read) against the floor:
  ``orjson.loads`` of the same files + building the same rows as plain dicts.

The cache is two files (the main one and its check-ins); the floors handle
the same tables as one file, which is no more work than two.

At both sizes, so a persist cost that grew faster than the file would show
as a rising ratio. TinyDB's default ``JSONStorage`` (one ``insert`` per
record, each rewriting the whole file; or ``insert_multiple``) is in the
notes, its per-record figure projected from a sample (``--full`` times all).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from tinydb import TinyDB

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigteam import cache_bytes, cache_files

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


def build(path: Path, team: list[RosterRow], count: int, workers: int, rng: random.Random) -> None:
    cache = Cache.open(path, retention=0)
    cache.apply("sheet", FetchResult(roster=team, roster_complete=True), NOW)
    cache.apply("mail", FetchResult(checkins=checkins("base", count, workers, rng)), NOW)
    cache.commit()
    cache.close()


def cache_tables(path: Path) -> dict[str, object]:
    """Every table of the cache at ``path``, from all its files, as plain values."""
    tables: dict[str, object] = {}
    for file in cache_files(path):
        tables.update(orjson.loads(file.read_bytes()))
    return tables


def floor_persist(tables: object, path: Path) -> None:
    """The least a crash-safe whole-file save can do: serialise, write, fsync, rename."""
    payload = orjson.dumps(tables)
    tmp = path.with_name(path.name + ".floor-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def persist(
    cache: Cache,
    path: Path,
    team: list[RosterRow],
    args: argparse.Namespace,
    rng: random.Random,
    work: Path,
) -> tuple[list[float], list[float], list[float]]:
    """Poll cycles of the cache, each followed by the floor saving the same tables."""
    cycle_times, commit_times, floor_times = [], [], []
    floor_path = work / f"floor-{path.name}"
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
        tables = cache_tables(path)  # the same data, as plain values
        floor_times.append(timed(lambda tables=tables: floor_persist(tables, floor_path)))
    return cycle_times, commit_times, floor_times


def load_farwatch(path: Path) -> None:
    reader = Cache.open(path, retention=0, writer=False)
    for _ in reader.snapshot().checkins.values():  # every check-in, as the floor does
        pass
    reader.close()


CHECKIN_FIELDS = ("key", "who", "at", "subject", "first_line", "kind", "task")


def load_floor(path: Path) -> None:
    """Parse the file and build every row as a plain dict: the least a loader does."""
    tables: dict[str, dict[str, dict[str, object]]] = cache_tables(path)  # type: ignore[assignment]
    rows = {
        name: [dict(doc) for doc in table.values()]
        for name, table in tables.items()
        if name != "checkins"
    }
    rows["checkins"] = [
        {name: doc.get(name) for name in CHECKIN_FIELDS} for doc in tables["checkins"].values()
    ]


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
    size_mb = cache_bytes(path) / 1e6
    tiny_path = work / "tinydb-default.json"
    tiny_path.write_bytes(orjson.dumps(cache_tables(path)))  # the same tables, in one file

    small_path = work / "small.db"
    build(small_path, team, args.checkins // 4, args.workers, rng)
    small_mb = cache_bytes(small_path) / 1e6
    cycle_times, commit_times, floor_times = persist(cache, path, team, args, rng, work)
    small = Cache.open(small_path, retention=0)
    small_cycle, _, small_floor = persist(small, small_path, team, args, rng, work)
    small.close()
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

    # -- loading from disk, in turns with its floor
    load_times, floor_load_times = [], []
    for _ in range(args.runs):
        load_times.append(timed(lambda: load_farwatch(path)))
        floor_load_times.append(timed(lambda: load_floor(path)))

    # -- report
    marker = "" if args.full else "*"
    rows = [
        ("persist one poll cycle", None, None),
        ("  farwatch cache (atomic orjson writes)", farwatch_cycle, farwatch_cycle),
        ("    of which the file write", statistics.median(commit_times), None),
        ("  floor: orjson.dumps + write + fsync + rename", statistics.median(floor_times), None),
        (f"  farwatch, {small_mb:.1f} MB cache", statistics.median(small_cycle), None),
        (
            f"  floor, {small_mb:.1f} MB cache",
            statistics.median(small_floor),
            None,
        ),
        (f"  TinyDB JSONStorage, insert() x {args.new}{marker}", per_insert_total, farwatch_cycle),
        ("  TinyDB JSONStorage, insert_multiple()", tiny_batch, farwatch_cycle),
        ("load from disk", None, None),
        ("  farwatch: open read-only + snapshot", statistics.median(load_times), None),
        ("  floor: orjson.loads + rows as plain dicts", statistics.median(floor_load_times), None),
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
        f"persist ratio to the floor: {farwatch_cycle / statistics.median(floor_times):.2f}x at "
        f"{size_mb:.1f} MB, "
        f"{statistics.median(small_cycle) / statistics.median(small_floor):.2f}x at "
        f"{small_mb:.1f} MB"
    )
    print(
        "farwatch's figure includes matching the whole roster and updating source health; "
        "the floors only save or parse the same data."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
