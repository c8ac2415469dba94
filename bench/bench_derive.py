"""How long deriving every worker's status takes on a big team.

1,000 workers in a dozen timezones, 100 check-ins each (100,000 in all) and
three weeks of time entries, one running timer in ten. Prints the best and
median of several runs; this is a benchmark, not a test.

    python bench/bench_derive.py [--workers N] [--checkins-per-worker N] [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from farwatch.sources.model import CapPeriod, CheckIn, RosterRow, TimeEntry
from farwatch.state.data_warnings import data_warnings
from farwatch.state.derive import derive_statuses
from farwatch.state.settings import CacheSettings, Settings
from farwatch.state.snapshot import CacheSnapshot

ZONES = (
    "Asia/Manila", "Africa/Lagos", "Europe/Kyiv", "America/Sao_Paulo", "Asia/Dhaka",
    "Asia/Kolkata", "America/New_York", "Europe/London", "Pacific/Auckland",
    "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC",
)  # fmt: skip
HOURS = ("09:00-17:00", "08:00-16:00", "22:00-06:00", "09:00-12:00,13:00-18:00")
PERIODS: tuple[CapPeriod, ...] = ("week", "week", "day", "month", "task")


def build(workers: int, per_worker: int, now: datetime) -> CacheSnapshot:
    rng = random.Random(7)
    roster: list[RosterRow] = []
    checkins: list[CheckIn] = []
    entries: list[TimeEntry] = []
    for n in range(workers):
        email = f"worker{n}@example.com"
        roster.append(
            RosterRow(
                worker_id=f"w{n}",
                name=f"Worker {n}",
                email=email,
                task="Support queue",
                cap_hours=rng.choice((None, 20.0, 40.0, 160.0)),
                cap_period=rng.choice(PERIODS),
                timezone=rng.choice(ZONES),
                hours=rng.choice(HOURS),
                days=rng.choice(("Mon-Fri", "Sun-Thu", "daily")),
            )
        )
        for c in range(per_worker):
            at = now - timedelta(minutes=rng.randint(1, 90 * 24 * 60))
            checkins.append(CheckIn(f"<{n}.{c}@mail>", email, at, f"update {c}"))
        for day in range(21):
            start = now - timedelta(days=day, hours=rng.randint(1, 8))
            end = None if day == 0 and n % 10 == 0 else start + timedelta(hours=rng.randint(1, 4))
            entries.append(TimeEntry(f"e{n}.{day}", email, start, end, "Support queue"))
    return CacheSnapshot(
        roster={"sheet": roster}, checkins={"imap": checkins}, entries={"timesheet": entries}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--checkins-per-worker", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    now = datetime(2025, 6, 11, 12, tzinfo=UTC)
    snap = build(args.workers, args.checkins_per_worker, now)
    settings = Settings(path=None, cache=CacheSettings(path=Path("unused.json")))
    n_checkins = sum(map(len, snap.checkins.values()))
    n_entries = sum(map(len, snap.entries.values()))

    timings = []
    for _ in range(args.runs):
        began = time.perf_counter()
        rows = derive_statuses(snap, settings, now)
        timings.append(time.perf_counter() - began)
    later: dict[str, list[float]] = {"day": [], "year": []}
    for _ in range(args.runs):  # in turns, so drift hits both alike
        for label, offset in (("day", timedelta(days=1)), ("year", timedelta(days=365))):
            began = time.perf_counter()
            derive_statuses(snap, settings, now + offset)
            later[label].append(time.perf_counter() - began)
    day, year = (statistics.median(later[k]) * 1000 for k in ("day", "year"))
    print(
        f"derive_statuses after the last check-ins: +1 day median {day:.0f} ms, "
        f"+1 year median {year:.0f} ms, ratio {year / day:.2f}x"
    )
    began = time.perf_counter()
    data_warnings(snap, now)
    unmatched = time.perf_counter() - began

    print(
        f"derive_statuses: {len(rows)} workers, {n_checkins} check-ins, {n_entries} entries: "
        f"best {min(timings) * 1000:.0f} ms, median {statistics.median(timings) * 1000:.0f} ms "
        f"over {args.runs} runs"
    )
    print(f"data_warnings (unmatched, overlaps): {unmatched * 1000:.0f} ms")


if __name__ == "__main__":
    main()
