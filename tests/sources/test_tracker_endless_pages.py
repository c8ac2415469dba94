"""Pagination is bounded: a tracker that never stops paging cannot keep a poll going.

A real HTTP server on 127.0.0.1 answers every tracker's paginated calls with
pages that never end: Clockify pages that are always full, Toggl always
sending ``X-Next-ID``, Harvest with ever-new ``links.next``. Each poll must end,
make no more requests than the page cap allows, say so in a warning, and
claim nothing complete (so the cache deletes and closes nothing).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from farwatch.sources.clockify import ClockifySource
from farwatch.sources.harvest import HarvestSource
from farwatch.sources.toggl import TogglSource
from farwatch.sources.tracker import TrackerSource
from tests.sources.tracker_team import NOW

CAP = 4
Answer = tuple[int, dict[str, str], Any]
Route = Callable[[str, str, dict[str, list[str]], Any], Answer]


class EndlessTracker:
    """A loopback HTTP server whose answers come from ``route``; counts requests per path."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.calls: Counter[str] = Counter()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                outer.calls[parts.path] += 1
                status, headers, payload = outer.route(
                    self.command, parts.path, parse_qs(parts.query), body
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Route], EndlessTracker]]:
    monkeypatch.setenv("FW_TRACKER_KEY", "key-123")
    servers: list[EndlessTracker] = []

    def start(route: Route) -> EndlessTracker:
        servers.append(EndlessTracker(route))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def poll(source: TrackerSource) -> Any:
    result = source.fetch({}, NOW)
    source.close()
    return result


def clockify_row(n: int) -> dict[str, Any]:
    interval = {"start": "2025-03-03T09:00:00Z", "end": "2025-03-03T10:00:00Z"}
    return {"_id": f"e{n}", "id": f"e{n}", "userId": "u1", "timeInterval": interval}


@pytest.mark.parametrize("fresh", [True, False], ids=["new-rows", "same-rows"])
def test_clockify_always_full_pages(serve: Callable[[Route], EndlessTracker], fresh: bool) -> None:
    def route(method: str, path: str, query: dict[str, list[str]], body: Any) -> Answer:
        if path.endswith("/users"):
            return 200, {}, [{"id": "u1", "email": "ana@example.com"}]
        if path.endswith("/in-progress"):
            return 200, {}, []
        page = body["detailedFilter"]["page"] if fresh else 1
        rows = [clockify_row(page * 10 + i) for i in range(body["detailedFilter"]["pageSize"])]
        return 200, {}, {"totals": [], "timeEntries": rows}

    server = serve(route)
    source = ClockifySource(
        "clockify",
        {
            "workspace": "w1",
            "api_key_env": "FW_TRACKER_KEY",
            "base_url": server.url,
            "reports_url": server.url,
            "max_pages": CAP,
        },
    )
    source.report_page_size = 3  # type: ignore[misc]
    result = poll(source)
    reports = server.calls["/workspaces/w1/reports/detailed"]
    assert reports == (CAP if fresh else 2)  # the cap, or the page that brought nothing new
    assert not result.entries_complete and result.entries_window is None
    assert any(
        "detailed report" in w and "nothing is taken as deleted" in w for w in result.warnings
    )
    assert len(result.entries) == (3 * CAP if fresh else 3)


@pytest.mark.parametrize("fresh", [True, False], ids=["new-ids", "same-next-id"])
def test_toggl_always_sending_x_next_id(
    serve: Callable[[Route], EndlessTracker], fresh: bool
) -> None:
    pages = Counter[str]()

    def route(method: str, path: str, query: dict[str, list[str]], body: Any) -> Answer:
        if path.endswith("/users"):
            return 200, {}, [{"id": 1, "email": "ana@example.com"}]
        if path.endswith("/all_activity"):
            return 200, {}, []
        pages["search"] += 1
        n = pages["search"] if fresh else 1
        entry = {
            "id": 1000 + n,
            "seconds": 60,
            "start": f"2025-03-03T09:{n % 60:02d}:00+00:00",
            "stop": f"2025-03-03T09:{n % 60:02d}:59+00:00",
        }
        rows = [{"user_id": 1, "description": "x", "time_entries": [entry]}]
        return 200, {"X-Next-ID": str(2000 + n), "X-Next-Row-Number": str(n + 1)}, rows

    server = serve(route)
    source = TogglSource(
        "toggl",
        {
            "workspace": "7",
            "api_key_env": "FW_TRACKER_KEY",
            "base_url": server.url,
            "reports_url": server.url,
            "max_pages": CAP,
        },
    )
    result = poll(source)
    assert server.calls["/workspace/7/search/time_entries"] == (CAP if fresh else 2)
    assert not result.entries_complete and result.entries_window is None
    expected = "page cap (4 pages)" if fresh else "brought no new rows"
    assert any(expected in w for w in result.warnings), result.warnings


@pytest.mark.parametrize("fresh", [True, False], ids=["new-rows", "same-rows"])
def test_harvest_ever_new_links_next(serve: Callable[[Route], EndlessTracker], fresh: bool) -> None:
    urls: list[str] = []

    def route(method: str, path: str, query: dict[str, list[str]], body: Any) -> Answer:
        if path.endswith("/users"):
            return 200, {}, {"users": [{"id": 1, "email": "ana@example.com"}], "links": {}}
        if query.get("is_running") == ["true"]:
            return 200, {}, {"time_entries": [], "links": {"next": None}}
        n = int(query.get("cursor", ["0"])[0])
        row_id = n if fresh else 0
        row = {
            "id": 500 + row_id,
            "spent_date": "2025-03-03",
            "user": {"id": 1},
            "hours": 1.0,
            "is_running": False,
        }
        nxt = f"{urls[0]}/v2/time_entries?cursor={n + 1}"
        return 200, {}, {"time_entries": [row], "links": {"next": nxt}}

    server = serve(route)
    urls.append(server.url)
    source = HarvestSource(
        "harvest",
        {
            "account": "1",
            "api_key_env": "FW_TRACKER_KEY",
            "base_url": f"{server.url}/v2",
            "max_pages": CAP,
        },
    )
    result = poll(source)
    # one call lists the running timers; the entries listing stops at the cap
    assert server.calls["/v2/time_entries"] == 1 + (CAP if fresh else 2)
    assert not result.entries_complete and result.entries_window is None
    assert any("time_entries" in w for w in result.warnings), result.warnings
