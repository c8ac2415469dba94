"""Clockify, replayed from its documented answers for a team across the date line.

Fixtures follow Clockify's API documentation (docs.clockify.me):
* "Generate detailed report" (Reports API, POST /workspaces/{wid}/reports/detailed):
  ``{"totals": [{"_id", "totalTime", "entriesCount", ...}], "timeEntries": [...]}``,
  each row with ``_id``, ``userId``, ``userEmail``, ``description`` and
  ``timeInterval {start, end, duration}``;
* "Get all in-progress time entries on workspace"
  (GET /workspaces/{wid}/time-entries/status/in-progress): a bare array of
  ``TimeEntryWithRatesDtoV1`` with ``timeInterval.end`` null while running;
* "Find all users on workspace" (GET /workspaces/{wid}/users).

The fake reads the report range as wall-clock time of the key owner's profile
timezone (here UTC+14), as third-party clients report it does; farwatch asks
wide enough that this cannot cut anyone's day. Team and hand-worked figures:
see ``tracker_team``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from farwatch.sources.base import SourceError
from farwatch.sources.clockify import ClockifySource
from farwatch.sources.model import TimeEntry
from farwatch.state.cache import Cache
from farwatch.state.clock import frozen_clock
from farwatch.state.poller import poll_sources
from tests.sources.tracker_team import DAY, NOW, hours, iso, utc

WID = "64a687e29ae1f428e7ebe303"
API = f"https://api.clockify.me/api/v1/workspaces/{WID}"
REPORT = f"https://reports.api.clockify.me/v1/workspaces/{WID}/reports/detailed"
PROFILE_ZONE = ZoneInfo("Pacific/Kiritimati")

USERS = [
    {"id": "5a0ab5acb07987125438b601", "email": "kiri@example.com", "name": "Kiri"},
    {"id": "5a0ab5acb07987125438b602", "email": "mnl@example.com", "name": "Mnl"},
    {"id": "5a0ab5acb07987125438b603", "email": "bog@example.com", "name": "Bog"},
    {"id": "5a0ab5acb07987125438b604", "email": "ppg@example.com", "name": "Ppg"},
]
UID = {u["email"].split("@")[0]: u["id"] for u in USERS}

# (who, start, end): one entry crossing each worker's local week start, one
# crossing their local month start, and kiri's Tuesday-morning hour (UTC date 03-03).
STOPPED = [
    ("kiri", utc(2, 9, 30), utc(2, 11)),  # week start 03-02 10:00Z: 1 h in, 1.5 h in month
    ("kiri", utc(28, 9, month=2), utc(28, 10, 30, month=2)),  # month start 02-28 10:00Z: 0.5 h
    ("kiri", utc(3, 18), utc(3, 19)),  # Tue 08:00-09:00 local: 1 h
    ("mnl", utc(2, 15, 30), utc(2, 17)),  # week start 03-02 16:00Z: 1 h in week
    ("mnl", utc(28, 15, month=2), utc(28, 16, 30, month=2)),  # month start 02-28 16:00Z: 0.5 h
    ("bog", utc(3, 4, 30), utc(3, 6)),  # week start 03-03 05:00Z: 1 h in week
    ("bog", utc(1, 4), utc(1, 5, 30)),  # month start 03-01 05:00Z: 0.5 h
    ("ppg", utc(3, 10, 30), utc(3, 12)),  # week start 03-03 11:00Z: 1 h in week
    ("ppg", utc(1, 10), utc(1, 11, 30)),  # month start 03-01 11:00Z: 0.5 h
]
RUNNING_START = utc(3, 19)  # mnl, Tue 03:00 local: 1 h by NOW


def report_row(n: int, who: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "_id": f"67c5f0a1b2c3d4e5f6a7b{n:03d}",
        "description": f"task {n}",
        "userId": UID[who],
        "userName": who.title(),
        "userEmail": f"{who}@example.com",
        "projectName": "Bookkeeping",
        "billable": True,
        "timeInterval": {
            "start": iso(start),
            "end": iso(end),
            "duration": int((end - start).total_seconds()),
        },
    }


RUNNING = [
    {
        "id": "67cf1a2be4b0a1c2d3e4f501",
        "description": "Night shift triage",
        "userId": UID["mnl"],
        "projectId": "25b687e29ae1f428e7ebe123",
        "taskId": None,
        "tagIds": None,
        "billable": True,
        "workspaceId": WID,
        "timeInterval": {"start": iso(RUNNING_START), "end": None, "duration": None},
        "hourlyRate": None,
        "costRate": None,
        "customFieldValues": [],
        "type": "REGULAR",
        "kioskId": None,
        "isLocked": False,
    }
]


def profile_instant(text: str) -> datetime:
    """The report range as the fake reads it: wall-clock time of the profile zone."""
    wall = datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    return wall.replace(tzinfo=PROFILE_ZONE)


def report(list_key: str = "timeEntries") -> Any:
    rows = [report_row(n, *row) for n, row in enumerate(STOPPED)]

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        lo, hi = profile_instant(body["dateRangeStart"]), profile_instant(body["dateRangeEnd"])
        kept = [r for r in rows if lo <= datetime.fromisoformat(r["timeInterval"]["start"]) <= hi]
        totals = [{"_id": "", "totalTime": 0, "entriesCount": len(kept)}]
        return httpx.Response(200, json={"totals": totals, list_key: kept})

    return answer


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> ClockifySource:
    monkeypatch.setenv("CLOCKIFY_KEY", "ck-secret-123")
    return ClockifySource("clockify", {"workspace": WID, "api_key_env": "CLOCKIFY_KEY"})


def fetch(source: ClockifySource, list_key: str = "timeEntries") -> Any:
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            return_value=httpx.Response(200, json=RUNNING)
        )
        respx.post(REPORT).mock(side_effect=report(list_key))
        return source.fetch({}, NOW)


@pytest.mark.parametrize("list_key", ["timeEntries", "timeentries"])
def test_hours_on_each_workers_own_week_and_month(
    source: ClockifySource, tmp_path: Path, list_key: str
) -> None:
    result = fetch(source, list_key)
    # week: kiri 1 (crossing) + 1 (Tue morning); mnl 1 (crossing) + 1 (running);
    # bog and ppg 1 each (crossing)
    assert hours(tmp_path, "clockify", result, "week") == {
        "kiri": 2.0,
        "mnl": 2.0,
        "bog": 1.0,
        "ppg": 1.0,
    }
    # month: the week-crossing entries count whole (1.5), the month-crossing
    # ones half (0.5); kiri's Tuesday hour and mnl's running hour on top
    assert hours(tmp_path, "clockify", result, "month") == {
        "kiri": 3.0,
        "mnl": 3.0,
        "bog": 2.0,
        "ppg": 2.0,
    }


def test_the_report_is_asked_wide_enough_for_every_timezone(source: ClockifySource) -> None:
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            return_value=httpx.Response(200, json=[])
        )
        route = respx.post(REPORT).mock(side_effect=report())
        result = source.fetch({}, NOW)
    body = json.loads(route.calls.last.request.content)
    # 12 h before the window and 14 h after it: UTC-12 .. UTC+14
    assert body["dateRangeStart"] == iso(NOW - timedelta(days=31) - timedelta(hours=12)).replace(
        "Z", ".000Z"
    )
    assert body["dateRangeEnd"] == "2025-03-04T10:00:00.000Z"
    assert result.entries_window == (NOW - timedelta(days=31), NOW)


def test_a_report_without_its_list_fails_and_the_cache_keeps_every_entry(
    source: ClockifySource, tmp_path: Path
) -> None:
    cache = Cache.open(tmp_path / "cache.json", retention=90 * DAY)
    cache.apply("clockify", fetch(source), NOW)
    cache.commit()
    before = sorted(e.key for e in cache.snapshot().entries["clockify"])
    later = NOW + timedelta(days=2)
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            return_value=httpx.Response(200, json=RUNNING)
        )
        respx.post(REPORT).mock(
            return_value=httpx.Response(200, json={"totals": [], "entries": []})
        )
        (outcome,) = poll_sources([source], cache, frozen_clock(later))
    assert not outcome.ok and outcome.error is not None and outcome.error.kind == "parse"
    assert "'timeEntries' or 'timeentries'" in outcome.error.message
    assert "entries" in outcome.error.message  # the keys it did have
    after = cache.snapshot().entries["clockify"]
    cache.close()
    assert sorted(e.key for e in after) == before and len(before) == len(STOPPED) + 1
    assert [e.end for e in after if e.key == "clockify:67cf1a2be4b0a1c2d3e4f501"] == [None]


def test_a_report_that_ends_before_its_promised_count_is_an_error(
    source: ClockifySource,
) -> None:
    rows = [report_row(n, *row) for n, row in enumerate(STOPPED)]
    short = {"totals": [{"_id": "", "entriesCount": 40}], "timeEntries": rows}
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            return_value=httpx.Response(200, json=[])
        )
        respx.post(REPORT).mock(return_value=httpx.Response(200, json=short))
        with pytest.raises(SourceError) as caught:
            source.fetch({}, NOW)
    assert "totals[0].entriesCount is 40" in caught.value.message


def test_a_running_row_it_cannot_read_keeps_every_timer_open(source: ClockifySource) -> None:
    broken = [*RUNNING, {**RUNNING[0], "id": "x2", "timeInterval": {"start": "soon"}}]
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            return_value=httpx.Response(200, json=broken)
        )
        respx.post(REPORT).mock(side_effect=report())
        result = source.fetch({}, NOW)
    running = [e for e in result.entries if e.running]
    assert [e.key for e in running] == ["clockify:67cf1a2be4b0a1c2d3e4f501"]
    assert not result.running_complete  # so the cache closes nobody's timer
    assert any("timeInterval.start" in w for w in result.warnings)
    assert isinstance(running[0], TimeEntry)
