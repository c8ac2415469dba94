"""``farwatch status --json`` on a big team, against the floor of reading its data at all.

    python bench/bench_status.py [--workers N] [--checkins N] [--runs N]

Builds a cache of 1,000 workers and 100,000 check-ins with the real cache
API (plus a week of time entries each) and a config pointing at it, then
times, in turns, each as a fresh process from spawn to exit:

- ``farwatch status --json`` (load the config, open the cache read-only,
  derive every worker's status, print the JSON document);
- the floor: ``python -c <read the same cache's files with orjson>`` — the
  main file and its check-ins file, as one file held them before farwatch
  kept a per-sender summary in the main file (so ``status`` now parses less
  than the floor does; the note gives the main file's size);
- ``python -c pass``, the interpreter start-up alone, for reference.

Prints medians and the ratio to the floor. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigteam import NOW, build, cache_bytes, cache_files
from figures import Figure, interleaved, wall_time

READ_WITH_ORJSON = (
    "import orjson, sys; data = [orjson.loads(open(f, 'rb').read()) for f in sys.argv[1:]]"
)


def farwatch_command() -> list[str]:
    """The installed ``farwatch`` script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("farwatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("farwatch")
    if found is None:
        raise RuntimeError("farwatch is not installed beside this Python (pip install -e .)")
    return [found]


def measure(workers: int = 1000, checkins: int = 100_000, runs: int = 5) -> list[Figure]:
    """Build the team in a temp folder and time the three processes; the figures."""
    folder = Path(tempfile.mkdtemp(prefix="farwatch-bench-status-"))
    try:
        team = build(folder, workers, checkins)
        stamp = NOW.isoformat().replace("+00:00", "Z")
        status = [*farwatch_command(), "status", "--json", "--config", str(team.config)]
        status += ["--now", stamp]
        floor = [sys.executable, "-c", READ_WITH_ORJSON, *map(str, cache_files(team.cache))]
        bare = [sys.executable, "-c", "pass"]

        def check(out: bytes) -> None:
            document = orjson.loads(out)
            if len(document["workers"]) != workers:
                raise RuntimeError(f"status --json listed {len(document['workers'])} workers")

        wall_time(status, check_output=check)  # warm the page cache and bytecode
        wall_time(floor)
        fw, fl, py = interleaved(
            runs, lambda: wall_time(status), lambda: wall_time(floor), lambda: wall_time(bare)
        )
        size = cache_bytes(team.cache) / 1e6
        main_size = team.cache.stat().st_size / 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    scale = f"{workers:,} workers / {checkins:,} check-ins"
    return [
        Figure(
            f"status --json, {scale}",
            fw * 1000,
            "ms",
            floor=fl * 1000,
            floor_name="python -c, orjson-read the cache",
            target="<= 2x",
            note=(
                f"a {size:.0f} MB cache, {main_size:.1f} MB of it the main file status reads; "
                f"python -c pass alone: {py * 1000:.0f} ms"
            ),
        )
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    for fig in measure(args.workers, args.checkins, args.runs):
        print(fig.name)
        print(f"  farwatch status --json:               {fig.value:8.0f} ms")
        print(f"  floor ({fig.floor_name}): {fig.floor or 0:8.0f} ms")
        print(f"  {fig.note}")
        print(f"  ratio: {fig.ratio:.2f}x the floor (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
