"""A big team on disk, built the way a poller leaves it, for the status and memory benches.

``build(folder, workers, checkins)`` writes, through the real ``Cache`` API,
a cache of ``workers`` roster rows (a dozen timezones, mixed caps), that many
check-ins spread over 80 days, and a week of time entries per worker (one
timer in ten still running), plus a ``config.toml`` that points at it with
the local sources that would have filled it. Everything is seeded, so two
runs measure the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from farwatch.sources.model import CapPeriod, CheckIn, FetchResult, RosterRow, TimeEntry
from farwatch.state.cache import Cache

NOW = datetime(2025, 6, 11, 12, 0, tzinfo=UTC)
"""The instant the data is built around and evaluated at (``status --now``)."""
ZONES = (
    "Asia/Manila", "Africa/Lagos", "Europe/Kyiv", "America/Sao_Paulo", "Asia/Dhaka",
    "Asia/Kolkata", "America/New_York", "Europe/London", "Pacific/Auckland", "UTC",
)  # fmt: skip
HOURS = ("09:00-17:00", "08:00-16:00", "22:00-06:00", "09:00-12:00,13:00-18:00")
PERIODS: tuple[CapPeriod, ...] = ("week", "week", "day", "month", "task")
TASKS = ("invoices", "inbox zero", "lead research", "ticket triage", "bookkeeping", "QA pass")


@dataclass(frozen=True, slots=True)
class Team:
    """Where a built team lives."""

    config: Path
    cache: Path
    workers: int
    checkins: int
    entries: int


def cache_files(cache: Path) -> list[Path]:
    """Every file the cache at ``cache`` is made of now: the main file, then its
    newest check-ins file (farwatch keeps the previous one for slow readers; it
    is not part of the data)."""
    generations = [
        f for f in cache.parent.glob(f"{cache.name}.checkins.*") if f.suffix[1:].isdigit()
    ]
    newest = max(generations, key=lambda f: int(f.suffix[1:]), default=None)
    return [cache, *([newest] if newest is not None else [])]


def cache_bytes(cache: Path) -> int:
    """The size of the cache's data on disk, all its files together."""
    return sum(f.stat().st_size for f in cache_files(cache))


def roster(workers: int, rng: random.Random) -> list[RosterRow]:
    return [
        RosterRow(
            worker_id=f"w{n:05d}",
            name=f"Worker {n:05d}",
            email=f"worker{n}@example.com",
            task=rng.choice(TASKS),
            cap_hours=rng.choice((None, 20.0, 40.0, 160.0)),
            cap_period=rng.choice(PERIODS),
            timezone=rng.choice(ZONES),
            hours=rng.choice(HOURS),
            days=rng.choice(("Mon-Fri", "Sun-Thu", "daily")),
            category=("BPO", "KPO", "TSO", "VA")[n % 4],
        )
        for n in range(workers)
    ]


def checkins(workers: int, count: int, rng: random.Random) -> list[CheckIn]:
    out = []
    for i in range(count):
        task = rng.choice(TASKS)
        out.append(
            CheckIn(
                key=f"<c{i}.{rng.getrandbits(32):08x}@mail.example.com>",
                who=f"worker{rng.randrange(workers)}@example.com",
                at=NOW - timedelta(seconds=rng.randrange(80 * 86400)),
                subject=f"Re: {task} - update {i}",
                first_line=f"Done with the {task} batch, starting the next one now.",
                task=task,
            )
        )
    return out


def entries(workers: int, rng: random.Random) -> list[TimeEntry]:
    out = []
    for n in range(workers):
        for day in range(7):
            start = NOW - timedelta(days=day, hours=rng.randint(1, 8))
            running = day == 0 and n % 10 == 0
            end = None if running else start + timedelta(hours=rng.randint(1, 4))
            out.append(TimeEntry(f"e{n}.{day}", f"worker{n}@example.com", start, end, "tickets"))
    return out


def build(folder: Path, workers: int = 1000, checkin_count: int = 100_000) -> Team:
    """Write the cache and its config into ``folder`` (which must exist)."""
    rng = random.Random(20250611)
    cache_path = folder / "cache.json"
    maildir = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    roster_csv = folder / "roster.csv"
    roster_csv.write_text("name,email\n", encoding="utf-8")
    timesheet = folder / "timesheet.csv"
    timesheet.write_text("worker,start,end,task\n", encoding="utf-8")
    team, mail, work = (
        roster(workers, rng),
        checkins(workers, checkin_count, rng),
        entries(workers, rng),
    )
    cache = Cache.open(cache_path, retention=0)
    try:
        cache.apply("roster", FetchResult(roster=team, roster_complete=True), NOW)
        cache.apply("mail", FetchResult(checkins=mail), NOW)
        cache.apply("hours", FetchResult(entries=work, running_complete=True), NOW)
        cache.commit()
    finally:
        cache.close()
    config = folder / "config.toml"
    config.write_text(
        "\n".join(
            [
                "[cache]",
                f'path = "{cache_path}"',
                'retention = "3650d"',
                "",
                "[[sources]]",
                'type = "sheet"',
                'name = "roster"',
                f'path = "{roster_csv}"',
                "",
                "[[sources]]",
                'type = "maildir"',
                'name = "mail"',
                f'path = "{maildir}"',
                "",
                "[[sources]]",
                'type = "timesheet"',
                'name = "hours"',
                f'path = "{timesheet}"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    return Team(config, cache_path, workers, checkin_count, len(work))
