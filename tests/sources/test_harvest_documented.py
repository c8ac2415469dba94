"""Harvest, replayed from its documented answers for a team across the date line.

Fixtures follow Harvest's API v2 documentation:
* "List all time entries" (GET /v2/time_entries;
  help.getharvest.com/api-v2/timesheets-api/timesheets/time-entries/): an object
  with ``time_entries`` and the pagination fields ``per_page``, ``total_pages``,
  ``total_entries``, ``next_page``, ``previous_page``, ``page``, ``links``
  (help.getharvest.com/api-v2/introduction/overview/pagination/). ``from`` and
  ``to`` filter on ``spent_date``, the worker's own date, which the fake honours.
  A stopped entry has ``hours`` and a ``spent_date`` but ``timer_started_at``
  null and, unless the account tracks start/end times, ``started_time`` null:
  it is a date-only entry. A running one has ``is_running: true``,
  ``timer_started_at`` and ``hours_without_timer``.
Team: see ``tracker_team``. All figures below are worked by hand.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import SourceError
from farwatch.sources.harvest import HarvestSource
from farwatch.state.cache import Cache
from farwatch.state.clock import frozen_clock
from farwatch.state.poller import poll_sources
from tests.sources.tracker_team import DAY, NOW, hours

BASE = "https://api.harvestapp.com/v2"
UID = {"kiri": 1795921, "mnl": 1795922, "bog": 1795923, "ppg": 1795924}

# (who, spent_date, hours): the day before each worker's local week start
# (Sun 03-02), the week start itself (Mon 03-03), the month start (Sat 03-01),
# the last day of February; kiri and mnl also log on Tue 03-04, their today
# while the UTC date is still 03-03; ppg logs on 03-04, a day that has not begun
# for them (UTC-11): placed at the moment it was read, never later.
DATED = [
    *[(who, "2025-03-02", 0.5) for who in UID],
    *[(who, "2025-03-03", 1.0) for who in UID],
    *[(who, "2025-03-01", 0.25) for who in UID],
    *[(who, "2025-02-28", 0.5) for who in UID],
    ("kiri", "2025-03-04", 1.0),
    ("mnl", "2025-03-04", 1.0),
    ("ppg", "2025-03-04", 1.0),
    ("bog", "2025-03-03", 1.0),  # a second hour on Monday: same day, same hours, still counted
]


def entry(n: int, who: str, spent: str, hours_: float, *, running: bool = False) -> dict[str, Any]:
    return {
        "id": 662202700 + n,
        "spent_date": spent,
        "user": {"id": UID[who], "name": who.title()},
        "client": {"id": 5735776, "name": "123 Industries", "currency": "EUR"},
        "project": {"id": 14808188, "name": "Task Force"},
        "task": {"id": 8083366, "name": "Programming"},
        "hours": hours_,
        "hours_without_timer": 0.5 if running else hours_,
        "rounded_hours": hours_,
        "notes": None,
        "is_locked": False,
        "is_closed": False,
        "is_billed": False,
        "timer_started_at": "2025-03-03T19:00:00Z" if running else None,
        "started_time": None,
        "ended_time": None,
        "is_running": running,
        "billable": True,
        "budgeted": False,
        "created_at": "2025-03-03T19:00:00Z",
        "updated_at": "2025-03-03T19:00:00Z",
    }


# mnl's timer: restarted at 19:00Z (Tue 03:00 local) on an entry that had 0.5 h
RUNNING = entry(99, "mnl", "2025-03-04", 1.5, running=True)
USERS = {
    "users": [{"id": uid, "email": f"{who}@example.com"} for who, uid in UID.items()],
    "per_page": 2000,
    "total_pages": 1,
    "total_entries": 4,
    "next_page": None,
    "previous_page": None,
    "page": 1,
    "links": {"first": f"{BASE}/users?page=1", "next": None, "previous": None, "last": ""},
}


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "time_entries": items,
        "per_page": 2000,
        "total_pages": 1,
        "total_entries": len(items),
        "next_page": None,
        "previous_page": None,
        "page": 1,
        "links": {"first": f"{BASE}/time_entries?page=1", "next": None, "previous": None},
    }


def time_entries(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("is_running") == "true":
        return httpx.Response(200, json=page([RUNNING]))
    first = date.fromisoformat(request.url.params["from"])
    last = date.fromisoformat(request.url.params["to"])
    rows = [entry(n, *row) for n, row in enumerate(DATED)] + [RUNNING]
    return httpx.Response(
        200, json=page([r for r in rows if first <= date.fromisoformat(r["spent_date"]) <= last])
    )


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> HarvestSource:
    monkeypatch.setenv("HARVEST_TOKEN", "hv-secret-789")
    return HarvestSource("harvest", {"account": "123456", "api_key_env": "HARVEST_TOKEN"})


def fetch(source: HarvestSource, answer: Any = time_entries) -> Any:
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        route = respx.get(f"{BASE}/time_entries").mock(side_effect=answer)
        result = source.fetch({}, NOW)
    asked = [c.request.url.params for c in route.calls if "from" in c.request.url.params]
    return result, asked


def test_date_only_hours_land_on_each_workers_own_day(
    source: HarvestSource, tmp_path: Path
) -> None:
    result, asked = fetch(source)
    # UTC dates would end on 03-03; UTC+14 is already on 03-04
    assert [(p["from"], p["to"]) for p in asked] == [("2025-01-27", "2025-03-04")]
    dated = [e for e in result.entries if not e.running]
    assert all(e.day is not None and e.start <= NOW for e in dated)
    assert hours(tmp_path, "harvest", result, "week") == {
        "kiri": 2.0,  # Mon 1 + Tue 1
        "mnl": 3.5,  # Mon 1 + Tue 1 + running: 0.5 before the restart + 1 h since
        "bog": 2.0,  # Mon 1 + Mon 1 (two entries, alike but for their ids)
        "ppg": 2.0,  # Mon 1 + the 03-04 hour, placed when it was read
    }
    assert hours(tmp_path, "harvest", result, "month") == {
        "kiri": 2.75,  # 03-01 0.25 + 03-02 0.5 + 03-03 1 + 03-04 1
        "mnl": 4.25,  # 0.25 + 0.5 + 1 + 1 + 1.5 running
        "bog": 2.75,  # 0.25 + 0.5 + 1 + 1
        "ppg": 2.75,  # 0.25 + 0.5 + 1 + 1
    }


def test_an_answer_without_time_entries_fails_and_the_cache_keeps_every_entry(
    source: HarvestSource, tmp_path: Path
) -> None:
    cache = Cache.open(tmp_path / "cache.json", retention=90 * DAY)
    cache.apply("harvest", fetch(source)[0], NOW)
    cache.commit()
    before = sorted((e.key, e.end, e.day) for e in cache.snapshot().entries["harvest"])
    renamed = {**page([]), "entries": []}
    del renamed["time_entries"]
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{BASE}/time_entries").mock(return_value=httpx.Response(200, json=renamed))
        (outcome,) = poll_sources([source], cache, frozen_clock(NOW + timedelta(days=2)))
    error = outcome.error
    assert not outcome.ok and error is not None and error.kind == "parse"
    assert "no 'time_entries' list" in error.message
    after = sorted((e.key, e.end, e.day) for e in cache.snapshot().entries["harvest"])
    cache.close()
    assert after == before and len(before) == len(DATED) + 1


def test_a_listing_that_ends_before_its_last_page_is_an_error(source: HarvestSource) -> None:
    early = {**page([entry(0, "bog", "2025-03-03", 1.0)]), "total_pages": 3}
    with pytest.raises(SourceError) as caught:
        fetch(source, lambda _: httpx.Response(200, json=early))
    assert "links.next is missing on page 1 of 3" in caught.value.message
