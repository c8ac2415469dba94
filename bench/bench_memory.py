"""Peak memory of ``farwatch status --json`` on a big team, against the file and a floor.

    python bench/bench_memory.py [--workers N] [--checkins N] [--runs N]

Builds a cache of 1,000 workers and 100,000 check-ins with the real cache
API and a config pointing at it, then measures the peak resident set size
(``ru_maxrss`` from ``wait4``) of two child processes:

- farwatch: ``farwatch status --json`` as a user runs it (load the config,
  open the cache read-only, derive every worker, print the document);
- the floor: ``python -c`` that imports only orjson and ``orjson.loads`` the
  cache's files, the main one and its check-ins (nothing of farwatch).

The target is a peak within 3x the cache's size on disk, both files
together. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_status import farwatch_command
from bigteam import NOW, build, cache_bytes, cache_files
from figures import Figure

PARSE_ONLY = """
import sys, orjson
data = [orjson.loads(open(f, "rb").read()) for f in sys.argv[2:]]
assert len(data[0]["roster"]) == int(sys.argv[1])
"""


# Linux carries ru_maxrss across fork and exec: a child started straight from
# this (big) process would report at least this process's size. A fresh, small
# launcher starts the child instead and reports its wait4 figure.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
code = os.waitstatus_to_exitcode(status)
print(usage.ru_maxrss if code == 0 else -1)
"""


def peak_mb(argv: list[str]) -> float:
    """Peak resident memory (MB) of ``argv`` over its whole life."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], capture_output=True, text=True, check=False
    )
    peak = done.stdout.strip()
    if done.returncode != 0 or int(peak or -1) < 0:
        raise RuntimeError(f"memory child failed: {done.stderr[-800:]}")
    return int(peak) / 1024  # kilobytes on Linux


def measure(workers: int = 1000, checkins: int = 100_000, runs: int = 3) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="farwatch-bench-memory-"))
    try:
        team = build(folder, workers, checkins)
        stamp = NOW.isoformat().replace("+00:00", "Z")
        status = [*farwatch_command(), "status", "--json", "--config", str(team.config)]
        status += ["--now", stamp]
        files = map(str, cache_files(team.cache))
        floor = [sys.executable, "-c", PARSE_ONLY, str(workers), *files]
        samples: dict[str, list[float]] = {"farwatch": [], "floor": []}
        for _ in range(runs):  # in turns, so drift hits both alike
            samples["farwatch"].append(peak_mb(status))
            samples["floor"].append(peak_mb(floor))
        size = cache_bytes(team.cache) / 1024 / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    fw = statistics.median(samples["farwatch"])
    floor_mb = statistics.median(samples["floor"])
    scale = f"{workers:,} workers / {checkins:,} check-ins"
    return [
        Figure(
            f"peak memory of status --json, {scale}",
            fw,
            "MB",
            floor=floor_mb,
            floor_name="python -c, only orjson.loads the cache",
        ),
        Figure(
            f"peak memory of status --json against the cache file, {scale}",
            fw,
            "MB",
            floor=size,
            floor_name="the cache's size on disk (main + check-ins file)",
            target="<= 3x",
        ),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for fig in measure(args.workers, args.checkins, args.runs):
        print(fig.name)
        print(f"  farwatch status --json: {fig.value:7.1f} MB")
        print(f"  {fig.floor_name}: {fig.floor or 0:7.1f} MB")
        print(f"  ratio: {fig.ratio:.2f}x (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
