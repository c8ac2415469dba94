"""Toggl, replayed from its documented answers for a team across the date line.

Fixtures follow Toggl's documentation:
* Reports API v3 "Search time entries" (POST /reports/api/v3/workspace/{wid}/
  search/time_entries; engineering.toggl.com/docs/reports/detailed_reports):
  rows ``{user_id, username, description, project_id, row_number,
  time_entries: [{id, seconds, start, stop, at}]}``, paged by ``X-Next-ID`` /
  ``X-Next-Row-Number``. ``start_date``/``end_date`` are dates in each user's
  own timezone (Toggl staff, toggl/toggl_api_docs#182), which the fake honours;
* v9 "Get last activity for every workspace user" (GET /workspaces/{wid}/
  dashboard/all_activity, DashboardApi in the v9 spec): ``user_id``,
  ``project_id``, ``duration`` (negative while running), ``description``,
  ``stop`` (absent while running), ``tid``; the v9 guide
  (engineering.toggl.com/docs/tracking) shows a running entry as
  ``duration: -1`` with its ``start``.
Team and hand-worked figures: see ``tracker_team``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from farwatch.sources.toggl import TogglSource
from farwatch.state.cache import Cache
from farwatch.state.clock import frozen_clock
from farwatch.state.poller import poll_sources
from tests.sources.tracker_team import DAY, NOW, TEAM, hours, utc

WID = 4561855
API = f"https://api.track.toggl.com/api/v9/workspaces/{WID}"
SEARCH = f"https://api.track.toggl.com/reports/api/v3/workspace/{WID}/search/time_entries"
UID = {"kiri": 9876501, "mnl": 9876502, "bog": 9876503, "ppg": 9876504}
USERS = [{"id": uid, "email": f"{who}@example.com", "fullname": who} for who, uid in UID.items()]
ZONE = {uid: ZoneInfo(TEAM[f"{who}@example.com"]) for who, uid in UID.items()}

STOPPED = [  # the same instants as the Clockify replay (see there for the sums)
    ("kiri", utc(2, 9, 30), utc(2, 11)),
    ("kiri", utc(28, 9, month=2), utc(28, 10, 30, month=2)),
    ("kiri", utc(3, 18), utc(3, 19)),  # Tue 03-04 local: the day a UTC end_date misses
    ("mnl", utc(2, 15, 30), utc(2, 17)),
    ("mnl", utc(28, 15, month=2), utc(28, 16, 30, month=2)),
    ("bog", utc(3, 4, 30), utc(3, 6)),
    ("bog", utc(1, 4), utc(1, 5, 30)),
    ("ppg", utc(3, 10, 30), utc(3, 12)),
    ("ppg", utc(1, 10), utc(1, 11, 30)),
]
RUNNING_START = utc(3, 19)  # mnl, Tue 03:00 local


def search_row(n: int, who: str, start: datetime, stop: datetime) -> dict[str, Any]:
    return {
        "user_id": UID[who],
        "username": who,
        "description": f"task {n}",
        "project_id": None,
        "row_number": n + 1,
        "time_entries": [
            {
                "id": 3400000000 + n,
                "seconds": int((stop - start).total_seconds()),
                "start": start.isoformat(),
                "stop": stop.isoformat(),
                "at": stop.isoformat(),
            }
        ],
    }


def activity(running: bool = True) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"user_id": UID["kiri"], "project_id": 0, "duration": 3600, "stop": "2025-03-03T19:00:00Z"}
    ]
    if running:
        rows.append(
            {
                "user_id": UID["mnl"],
                "project_id": 193791,
                "duration": -1,
                "start": RUNNING_START.isoformat(),
                "description": "Night shift triage",
                "tid": None,
            }
        )
    return rows


def search(rows: list[tuple[str, datetime, datetime]] = STOPPED) -> Any:
    """Toggl's search: a row is in when its start date *in its user's timezone* is in range."""
    all_rows = [search_row(n, *row) for n, row in enumerate(rows)]

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        first, last = date.fromisoformat(body["start_date"]), date.fromisoformat(body["end_date"])
        kept = [
            r
            for r in all_rows
            if first
            <= datetime.fromisoformat(r["time_entries"][0]["start"])
            .astimezone(ZONE[r["user_id"]])
            .date()
            <= last
        ]
        return httpx.Response(200, json=kept)

    return answer


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> TogglSource:
    monkeypatch.setenv("TOGGL_TOKEN", "tg-secret-456")
    return TogglSource("toggl", {"workspace": str(WID), "api_key_env": "TOGGL_TOKEN"})


def routes(live: list[dict[str, Any]], answer: Any) -> respx.Route:
    respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
    respx.get(f"{API}/dashboard/all_activity").mock(return_value=httpx.Response(200, json=live))
    return respx.post(SEARCH).mock(side_effect=answer)


def test_hours_on_each_workers_own_week_and_month(source: TogglSource, tmp_path: Path) -> None:
    with respx.mock:
        route = routes(activity(), search())
        result = source.fetch({}, NOW)
    body = json.loads(route.calls.last.request.content)
    # the window is 01-27 20:00Z .. 03-03 20:00Z: at UTC-12 it starts on 01-27 (08:00),
    # at UTC+14 it ends on 03-04 (10:00) -- a UTC end_date (03-03) loses kiri's Tuesday
    assert (body["start_date"], body["end_date"]) == ("2025-01-27", "2025-03-04")
    running = [e for e in result.entries if e.running]
    assert [(e.who, e.start) for e in running] == [("mnl@example.com", RUNNING_START)]
    assert hours(tmp_path, "toggl", result, "week") == {
        "kiri": 2.0,  # 1 h of the week-crossing entry + the Tuesday hour
        "mnl": 2.0,  # 1 h crossing + 1 h of the running timer (duration -1, start given)
        "bog": 1.0,
        "ppg": 1.0,
    }
    assert hours(tmp_path, "toggl", result, "month") == {
        "kiri": 3.0,  # 1.5 + 0.5 + 1
        "mnl": 3.0,  # 1.5 + 0.5 + 1 running
        "bog": 2.0,  # 1.5 + 0.5
        "ppg": 2.0,
    }


def test_a_search_answer_that_is_not_a_list_fails_and_the_cache_keeps_every_entry(
    source: TogglSource, tmp_path: Path
) -> None:
    cache = Cache.open(tmp_path / "cache.json", retention=90 * DAY)
    with respx.mock:
        routes(activity(), search())
        cache.apply("toggl", source.fetch({}, NOW), NOW)
    cache.commit()
    before = sorted((e.key, e.end) for e in cache.snapshot().entries["toggl"])
    with respx.mock:
        routes(activity(), lambda _: httpx.Response(200, json={"data": []}))
        (outcome,) = poll_sources([source], cache, frozen_clock(NOW + timedelta(days=2)))
    error = outcome.error
    assert not outcome.ok and error is not None and error.kind == "parse"
    assert "time entry search: expected a list, got an object" in error.message
    after = sorted((e.key, e.end) for e in cache.snapshot().entries["toggl"])
    cache.close()
    assert after == before and len(before) == len(STOPPED) + 1


def test_a_vanished_timer_stays_open_until_confirmed_then_closes_at_its_stop(
    source: TogglSource,
) -> None:
    key = f"toggl:{UID['mnl']}:{int(RUNNING_START.timestamp())}"
    with respx.mock:
        routes(activity(), search())
        first = source.fetch({}, NOW)
    assert not first.running_complete  # "latest activity" is no complete list
    # five minutes later mnl's row is gone from the listing, and the report
    # (asked for at once, back to the timer's start) still has it running
    still = {
        **search_row(99, "mnl", RUNNING_START, RUNNING_START),
        "time_entries": [{"id": 7, "seconds": 0, "start": RUNNING_START.isoformat(), "stop": None}],
    }
    later = NOW + timedelta(minutes=5)
    with respx.mock:
        route = routes(activity(running=False), lambda _: httpx.Response(200, json=[still]))
        second = source.fetch(first.cursor, later)
    assert route.call_count == 1  # an entries refresh was not due, but asked for
    kept = [e for e in second.entries if e.key == key]
    assert [(e.start, e.end) for e in kept] == [(RUNNING_START, None)]  # nothing closes it yet
    assert not second.running_complete
    # next poll: the report shows it stopped at 20:30
    stopped = search_row(98, "mnl", RUNNING_START, utc(3, 20, 30))
    stopped["time_entries"][0]["id"] = 7
    with respx.mock:
        routes(activity(running=False), lambda _: httpx.Response(200, json=[stopped]))
        third = source.fetch(second.cursor, later + timedelta(minutes=5))
    closed = [e for e in third.entries if e.key == key]
    assert [(e.start, e.end) for e in closed] == [(RUNNING_START, utc(3, 20, 30))]
    assert third.cursor["open"] == {}


def test_a_vanished_timer_its_user_row_shows_stopped_closes_without_a_report(
    source: TogglSource,
) -> None:
    with respx.mock:
        routes(activity(), search())
        first = source.fetch({}, NOW)
    stop = {
        "user_id": UID["mnl"],
        "project_id": 0,
        "duration": 1800,
        "stop": "2025-03-03T19:30:00Z",
    }
    with respx.mock:
        route = routes([stop], search())
        second = source.fetch(first.cursor, NOW + timedelta(minutes=5))
    assert route.call_count == 0  # confirmed by the activity row itself
    key = f"toggl:{UID['mnl']}:{int(RUNNING_START.timestamp())}"
    assert [(e.key, e.end) for e in second.entries] == [(key, utc(3, 19, 30))]


def test_a_running_row_of_minus_one_without_start_is_skipped_not_placed_in_1969(
    source: TogglSource,
) -> None:
    row = {"user_id": UID["bog"], "project_id": 0, "duration": -1, "description": "x"}
    with respx.mock:
        routes([row], search([]))
        result = source.fetch({}, NOW)
    assert result.entries == []
    assert any("no start" in w for w in result.warnings)
