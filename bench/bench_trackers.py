"""Trackers: HTTP requests per poll for 1 and for 200 workers.

Each tracker answers from its documented payload shapes (faked with respx, no
network), with every worker running a timer and 10 finished entries each in
the lookback window. The number of requests must not grow with the number of
workers except where a page fills up.

    python bench/bench_trackers.py
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import respx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from farwatch.sources.clockify import ClockifySource
from farwatch.sources.harvest import HarvestSource
from farwatch.sources.toggl import TogglSource
from farwatch.sources.tracker import TrackerSource

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
START = "2025-03-10T09:00:00Z"
PER_WORKER = 10


def ago(k: int) -> datetime:
    """Entry k of a worker: spread evenly over the 35-day lookback."""
    return NOW - timedelta(days=3.5 * k + 0.2)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def since(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)


def clockify(n: int) -> TrackerSource:
    api = "https://api.clockify.me/api/v1/workspaces/w1"
    users = [{"id": f"u{i}", "email": f"w{i}@example.com"} for i in range(n)]
    live = [
        {
            "id": f"r{i}",
            "userId": f"u{i}",
            "description": "x",
            "timeInterval": {"start": START, "end": None},
        }
        for i in range(n)
    ]
    rows = [
        {
            "_id": f"e{i}-{k}",
            "userId": f"u{i}",
            "userEmail": f"w{i}@example.com",
            "timeInterval": {
                "start": iso(ago(k)),
                "end": iso(ago(k) + timedelta(hours=1)),
                "duration": 3600,
            },
        }
        for i in range(n)
        for k in range(PER_WORKER)
    ]

    def paged(items: list[Any], size_key: str = "page-size") -> Callable[..., httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            page, size = int(request.url.params["page"]), int(request.url.params[size_key])
            return httpx.Response(200, json=items[(page - 1) * size : page * size])

        return answer

    def report(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        page, size = body["detailedFilter"]["page"], body["detailedFilter"]["pageSize"]
        start = since(body["dateRangeStart"])
        match = [r for r in rows if since(r["timeInterval"]["start"]) >= start]
        return httpx.Response(200, json={"timeentries": match[(page - 1) * size : page * size]})

    respx.get(f"{api}/users").mock(side_effect=paged(users))
    respx.get(f"{api}/time-entries/status/in-progress").mock(side_effect=paged(live))
    respx.post("https://reports.api.clockify.me/v1/workspaces/w1/reports/detailed").mock(
        side_effect=report
    )
    return ClockifySource("clockify", {"workspace": "w1", "api_key_env": "BENCH_KEY"})


def toggl(n: int) -> TrackerSource:
    api = "https://api.track.toggl.com/api/v9/workspaces/1"
    search = "https://api.track.toggl.com/reports/api/v3/workspace/1/search/time_entries"
    rows = [
        {
            "user_id": i,
            "description": "x",
            "time_entries": [
                {
                    "id": i * 10 + k,
                    "seconds": 3600,
                    "start": iso(ago(k)),
                    "stop": iso(ago(k) + timedelta(hours=1)),
                }
            ],
        }
        for i in range(n)
        for k in range(PER_WORKER)
    ]

    def page(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        first, size = body.get("first_row_number", 0), body["page_size"]
        start = since(body["start_date"] + "T00:00:00Z")
        match = [r for r in rows if since(r["time_entries"][0]["start"]) >= start]
        chunk = match[first : first + size]
        more = first + size < len(match)
        headers = {"X-Next-ID": str(first + size), "X-Next-Row-Number": str(first + size)}
        return httpx.Response(200, json=chunk, headers=headers if more else {})

    respx.get(f"{api}/users").mock(
        return_value=httpx.Response(
            200, json=[{"id": i, "email": f"w{i}@example.com"} for i in range(n)]
        )
    )
    respx.get(f"{api}/dashboard/all_activity").mock(
        return_value=httpx.Response(
            200, json=[{"user_id": i, "project_id": 0, "duration": -1741698300} for i in range(n)]
        )
    )
    respx.post(search).mock(side_effect=page)
    return TogglSource("toggl", {"workspace": "1", "api_key_env": "BENCH_KEY"})


def harvest(n: int) -> TrackerSource:
    base = "https://api.harvestapp.com/v2"

    def entry(i: int, k: int, running: bool) -> dict[str, Any]:
        return {
            "id": i * 100 + k,
            "user": {"id": i},
            "spent_date": ago(k).date().isoformat(),
            "hours": 1.0,
            "hours_without_timer": 0.0,
            "is_running": running,
            "timer_started_at": START if running else None,
        }

    def entries(request: httpx.Request) -> httpx.Response:
        items = (
            [entry(i, 0, True) for i in range(n)]
            if request.url.params.get("is_running") == "true"
            else [
                e
                for e in (entry(i, k, False) for i in range(n) for k in range(PER_WORKER))
                if e["spent_date"] >= request.url.params.get("from", "")
            ]
        )
        size, page = 2000, int(request.url.params.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        nxt = (
            f"{base}/time_entries?page={page + 1}&per_page={size}"
            + ("&is_running=true" if request.url.params.get("is_running") else "")
            if page * size < len(items)
            else None
        )
        return httpx.Response(200, json={"time_entries": chunk, "links": {"next": nxt}})

    respx.get(f"{base}/users").mock(
        return_value=httpx.Response(
            200,
            json={
                "users": [{"id": i, "email": f"w{i}@example.com"} for i in range(n)],
                "links": {"next": None},
            },
        )
    )
    respx.get(f"{base}/time_entries").mock(side_effect=entries)
    return HarvestSource("harvest", {"account": "1", "api_key_env": "BENCH_KEY"})


def main() -> None:
    os.environ["BENCH_KEY"] = "bench-key"
    print(
        f"{'tracker':<9} {'workers':>7} {'first poll':>10} {'next poll':>9} "
        f"{'hours refresh':>13} {'requests/hour':>13}"
    )
    worst = 0.0
    results: dict[tuple[str, int], tuple[int, int, int]] = {}
    for name, build in (("clockify", clockify), ("toggl", toggl), ("harvest", harvest)):
        for n in (1, 200):
            with respx.mock:
                src = build(n)
                first = src.fetch({}, NOW)
                second = src.fetch(first.cursor, NOW + timedelta(minutes=5))
                third = src.fetch(second.cursor, NOW + timedelta(minutes=35))
            # 12 polls an hour, 2 recent-hours refreshes, the whole window + users once a day
            per_hour = (
                (3600 / src.default_interval) * second.requests
                + (3600 / src.entries_every) * (third.requests - second.requests)
                + (3600 / src.full_every) * (first.requests - second.requests)
            )
            worst = max(worst, per_hour)
            results[(name, n)] = (first.requests, second.requests, third.requests)
            print(
                f"{name:<9} {n:>7} {first.requests:>10} {second.requests:>9} "
                f"{third.requests:>13} {per_hour:>13.1f}"
            )
    print(
        "(first poll: users + running timers + the whole 35-day window of hours; next poll:\n"
        " running timers only; every 30 min the last 2 days of hours; users and the whole\n"
        " window once a day. Extra requests at 200 workers are extra pages of 200-2000 rows.)"
    )
    same = all(results[(t, 1)][1] == results[(t, 200)][1] for t in ("clockify", "toggl", "harvest"))
    print(
        f"requests per poll equal for 1 and 200 workers: {'PASS' if same else 'FAIL'}; "
        f"worst budget {worst:.1f} requests/hour (free plans allow ~30)"
    )
    if not same or worst > 30:
        sys.exit(1)


if __name__ == "__main__":
    main()
