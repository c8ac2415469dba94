"""A small team across the date line, for replaying the trackers' documented answers.

Four workers, at UTC+14, UTC+8, UTC-5 and UTC-11, evaluated at one fixed
instant: Monday 2025-03-03 20:00 UTC. On their own calendars that is

======  ======  ===============  ====================  ====================
worker  zone    local at NOW     week start (UTC)      month start (UTC)
======  ======  ===============  ====================  ====================
kiri    UTC+14  Tue 03-04 10:00  2025-03-02 10:00      2025-02-28 10:00
mnl     UTC+8   Tue 03-04 04:00  2025-03-02 16:00      2025-02-28 16:00
bog     UTC-5   Mon 03-03 15:00  2025-03-03 05:00      2025-03-01 05:00
ppg     UTC-11  Mon 03-03 09:00  2025-03-03 11:00      2025-03-01 11:00
======  ======  ===============  ====================  ====================

(weeks start on local Monday 00:00, months on the 1st at local 00:00),
so kiri and mnl already live on Tuesday 03-04 while the UTC date is still 03-03.
``hours`` runs a fetch result through the real cache and the real status
derivation and returns each worker's hours in their week or month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from farwatch.sources.model import CapPeriod, FetchResult, RosterRow
from farwatch.state.cache import Cache
from farwatch.state.derive import derive_statuses
from farwatch.state.settings import CacheSettings, Settings
from farwatch.state.snapshot import CacheSnapshot

NOW = datetime(2025, 3, 3, 20, 0, tzinfo=UTC)
DAY = 86400.0

TEAM = {
    "kiri@example.com": "Pacific/Kiritimati",  # UTC+14, no DST
    "mnl@example.com": "Asia/Manila",  # UTC+8, a night shift
    "bog@example.com": "America/Bogota",  # UTC-5, no DST
    "ppg@example.com": "Pacific/Pago_Pago",  # UTC-11, no DST
}


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def hours(tmp_path: Path, source: str, result: FetchResult, period: CapPeriod) -> dict[str, float]:
    """Each worker's tracked hours in their current ``period``, through cache and derive."""
    cache = Cache.open(tmp_path / f"{source}-{period}.json", retention=90 * DAY)
    try:
        cache.apply(source, result, NOW)
        cache.commit()
        entries = cache.snapshot().entries
    finally:
        cache.close()
    roster = [
        RosterRow(
            worker_id=email.split("@")[0],
            name=email,
            email=email,
            timezone=zone,
            hours="00:00-24:00",
            days="mon-sun",
            cap_hours=100.0,
            cap_period=period,
        )
        for email, zone in TEAM.items()
    ]
    snapshot = CacheSnapshot(roster={"sheet": roster}, entries=entries)
    settings = Settings(path=None, cache=CacheSettings(path=tmp_path / "unused.json"))
    return {s.id: round(s.hours_used, 4) for s in derive_statuses(snapshot, settings, NOW)}
