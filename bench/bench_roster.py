"""A 100,000-row roster poll against the floor of parsing its CSV at all.

    python bench/bench_roster.py [--rows N] [--runs N]

Writes a roster of ``rows`` workers without an ``id`` column whose names
repeat (ten names, 10,000 times each: the case that made id de-duplication
quadratic), then times, in turns, in this process:

- a full poll of the ``sheet`` source on that file (read, decode, parse every
  row, check every value, give every worker a unique id);
- the floor: ``csv.reader`` over the same text into a list — no roster parser
  can be cheaper than reading the CSV once.

Prints medians and the ratio to the floor. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure, interleaved

from farwatch.sources.sheet import SheetSource

NAMES = ("Ana Reyes", "Ben Okafor", "Chen Wei", "Dana Cruz", "Eli Moss")
NAMES += ("Faye Lin", "Gus Ortiz", "Hana Sato", "Ivo Petrov", "Jun Park")


def roster_text(rows: int) -> str:
    lines = ["name,email,cap_hours,cap_period,timezone,hours,days"]
    for i in range(rows):
        name = NAMES[i % len(NAMES)]
        lines.append(f"{name},w{i}@example.com,20,week,Asia/Manila,09:00-17:00,Mon-Fri")
    return "\n".join(lines) + "\n"


def measure(rows: int = 100_000, runs: int = 5) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="farwatch-bench-roster-") as folder:
        path = Path(folder) / "roster.csv"
        text = roster_text(rows)
        path.write_text(text, encoding="utf-8")
        now = datetime.now(UTC)

        def poll() -> float:
            started = time.perf_counter()
            result = SheetSource("roster", {"path": str(path)}).fetch({}, now)
            elapsed = time.perf_counter() - started
            if len({r.worker_id for r in result.roster}) != rows:
                raise RuntimeError("the poll lost or merged workers")
            return elapsed

        def floor() -> float:
            started = time.perf_counter()
            parsed = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
            elapsed = time.perf_counter() - started
            if len(parsed) != rows + 1:
                raise RuntimeError("the floor misread the file")
            return elapsed

        value, base = interleaved(runs, poll, floor)
    return [
        Figure(
            f"roster poll, {rows:,} rows (10 names, no ids)",
            value * 1000,
            "ms",
            base * 1000,
            "csv.reader over the file",
            note="linear: 8k duplicate names took 10.8 s before",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for fig in measure(args.rows, args.runs):
        ratio = f"{fig.ratio:.1f}x" if fig.ratio is not None else "—"
        print(
            f"{fig.name}: {fig.value:.0f} ms; floor {fig.floor:.0f} ms ({fig.floor_name}); {ratio}"
        )


if __name__ == "__main__":
    main()
