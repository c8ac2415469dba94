"""Peak memory of a process holding a big team, against one that only parses its data.

    python bench/bench_memory.py [--workers N] [--checkins N] [--runs N]

Builds a cache of 1,000 workers and 100,000 check-ins with the real cache
API and a config pointing at it, then measures the peak resident set size
(``ru_maxrss`` from ``wait4``) of two child processes:

- farwatch: load the config, open an ``Engine`` read-only on the cache and
  derive every worker's status — what a dashboard or ``status`` holds;
- the floor: the same imports, then only ``orjson.loads`` of the cache file.

Both peak while parsing the file; each also reports what it still holds at
the end (the floor: the parsed tables; farwatch: its tables, index and
derived rows). A benchmark, not a test.
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

from bigteam import NOW, build
from figures import Figure

IMPORTS = """
import sys
from datetime import datetime
import orjson
from farwatch.state.config import load_settings
from farwatch.state.engine import Engine
"""

RESIDENT = """
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(line.split()[1])
"""
"""Print the kilobytes still resident at the end: what the process goes on holding."""

LOAD_AND_DERIVE = (
    IMPORTS
    + """
engine = Engine(load_settings(sys.argv[1]), sources=[])
engine.open(writer=False)
rows = engine.statuses(datetime.fromisoformat(sys.argv[2]))
assert len(rows) == int(sys.argv[3]), len(rows)
engine.close()
"""
    + RESIDENT
)

PARSE_ONLY = (
    IMPORTS
    + """
settings = load_settings(sys.argv[1])
data = orjson.loads(settings.cache.path.read_bytes())
assert len(data["roster"]) == int(sys.argv[3])
"""
    + RESIDENT
)


# Linux carries ru_maxrss across fork and exec: a child started straight from
# this (big) process would report at least this process's size. A fresh, small
# launcher starts the child instead and reports its wait4 figure.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen([sys.executable, "-c", *sys.argv[1:]], stdout=subprocess.PIPE)
held = proc.stdout.read().strip() or b"0"
_, status, usage = os.wait4(proc.pid, 0)
code = os.waitstatus_to_exitcode(status)
print(usage.ru_maxrss if code == 0 else -1, held.decode())
"""


def rss_mb(code: str, *args: str) -> tuple[float, float]:
    """Peak resident memory (MB) of ``python -c code args`` over its whole life,
    and what was still resident when it finished."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, code, *args], capture_output=True, text=True, check=False
    )
    peak, _, held = done.stdout.strip().partition(" ")
    if done.returncode != 0 or int(peak or -1) < 0:
        raise RuntimeError(f"memory child failed: {done.stderr[-800:]}")
    return int(peak) / 1024, int(held or 0) / 1024  # both in kilobytes on Linux


def measure(workers: int = 1000, checkins: int = 100_000, runs: int = 3) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="farwatch-bench-memory-"))
    try:
        team = build(folder, workers, checkins)
        args = (str(team.config), NOW.isoformat(), str(workers))
        samples: dict[str, list[tuple[float, float]]] = {"farwatch": [], "floor": []}
        for _ in range(runs):  # in turns, so drift hits both alike
            samples["farwatch"].append(rss_mb(LOAD_AND_DERIVE, *args))
            samples["floor"].append(rss_mb(PARSE_ONLY, *args))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    fw, fw_held = (statistics.median(col) for col in zip(*samples["farwatch"], strict=True))
    floor, floor_held = (statistics.median(col) for col in zip(*samples["floor"], strict=True))
    return [
        Figure(
            f"peak memory, {workers:,} workers / {checkins:,} check-ins",
            fw,
            "MB",
            floor=floor,
            floor_name="same imports, orjson.loads the cache",
            note=(
                "loaded and derived; the peak is parsing the file; resident after deriving: "
                f"{fw_held:.0f} MB vs the floor's {floor_held:.0f} MB"
            ),
        )
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for fig in measure(args.workers, args.checkins, args.runs):
        print(fig.name)
        print(f"  farwatch (Engine read-only + statuses): {fig.value:7.1f} MB")
        print(f"  floor ({fig.floor_name}): {fig.floor or 0:7.1f} MB")
        print(f"  ratio: {fig.ratio:.2f}x the floor; {fig.note} (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
