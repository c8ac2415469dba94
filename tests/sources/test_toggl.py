"""Toggl contract tests from the documented payloads (respx; no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.toggl import TogglSource

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
WID = 4561855
API = f"https://api.track.toggl.com/api/v9/workspaces/{WID}"
SEARCH = f"https://api.track.toggl.com/reports/api/v3/workspace/{WID}/search/time_entries"
ACTIVITY = [
    {
        "user_id": 9876501,
        "project_id": 193791,
        "duration": -1741698300,
        "description": "Inbox triage",
        "tid": None,
    },
    {"user_id": 9876502, "project_id": 0, "duration": 5400, "stop": "2025-03-11T12:30:00+00:00"},
]
USERS = [
    {"id": 9876501, "email": "Ana@Example.com", "fullname": "Ana"},
    {"id": 9876502, "email": "bo@example.com", "fullname": "Bo"},
]


def row(uid: int, n: int) -> dict[str, Any]:
    start = datetime(2025, 3, 10, 9, tzinfo=UTC) + timedelta(hours=n)
    return {
        "user_id": uid,
        "username": "Ana",
        "description": f"task {n}",
        "project_id": None,
        "row_number": n + 1,
        "time_entries": [
            {
                "id": 1000 + n,
                "seconds": 1800,
                "start": start.isoformat(),
                "stop": (start + timedelta(minutes=30)).isoformat(),
                "at": "",
            }
        ],
    }


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOGGL_TOKEN", "tg-secret-456")
    return "tg-secret-456"


def make() -> TogglSource:
    return TogglSource("toggl", {"workspace": str(WID), "api_key_env": "TOGGL_TOKEN"})


def test_running_timers_from_all_activity(token: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        activity = respx.get(f"{API}/dashboard/all_activity").mock(
            return_value=httpx.Response(200, json=ACTIVITY)
        )
        respx.post(SEARCH).mock(return_value=httpx.Response(200, json=[row(9876502, 0)]))
        result = src.fetch({}, NOW)
    live = [e for e in result.entries if e.running]
    assert [(e.who, e.task) for e in live] == [("ana@example.com", "Inbox triage")]
    # running elapsed = now + duration (duration is -start_epoch)
    assert live[0].seconds(NOW) == NOW.timestamp() + ACTIVITY[0]["duration"]
    assert live[0].start == datetime(2025, 3, 11, 13, 5, tzinfo=UTC)
    done = [e for e in result.entries if not e.running]
    assert [(e.who, e.seconds(NOW)) for e in done] == [("bo@example.com", 1800.0)]
    auth = activity.calls.last.request.headers["Authorization"]
    assert auth == httpx.BasicAuth("tg-secret-456", "api_token")._auth_header
    # all_activity is "latest activity", not every running timer: never complete
    assert not result.running_complete and result.requests == 3


def test_report_paging_follows_next_id_and_row_headers(token: str) -> None:
    bodies: list[dict[str, Any]] = []

    def search(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        page = len(bodies)
        headers = {"X-Next-ID": str(2000 + page), "X-Next-Row-Number": str(page * 2)}
        rows = [row(9876501, page * 2 + i) for i in range(2)]
        return httpx.Response(200, json=rows, headers=headers if page < 3 else {})

    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/dashboard/all_activity").mock(return_value=httpx.Response(200, json=[]))
        respx.post(SEARCH).mock(side_effect=search)
        result = src.fetch({}, NOW)
    assert len(bodies) == 3
    assert "first_id" not in bodies[0]
    assert (bodies[1]["first_id"], bodies[1]["first_row_number"]) == (2001, 2)
    assert (bodies[2]["first_id"], bodies[2]["first_row_number"]) == (2002, 4)
    assert len(result.entries) == 6 and result.entries_complete


def test_a_running_entry_and_its_later_report_row_share_a_key(token: str) -> None:
    src = make()
    start = datetime.fromtimestamp(1741698300, UTC)
    stopped = {
        "user_id": 9876501,
        "description": "Inbox triage",
        "time_entries": [
            {
                "id": 5,
                "seconds": 60,
                "start": start.isoformat(),
                "stop": (start + timedelta(minutes=1)).isoformat(),
            }
        ],
    }
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/dashboard/all_activity").mock(
            return_value=httpx.Response(200, json=ACTIVITY[:1])
        )
        respx.post(SEARCH).mock(return_value=httpx.Response(200, json=[stopped]))
        result = src.fetch({}, NOW)
    assert len(result.entries) == 1 and result.entries[0].running  # no double count


@pytest.mark.parametrize(
    ("response", "kind", "retryable", "retry_after"),
    [
        (
            httpx.Response(
                402, headers={"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "1800"}
            ),
            "quota",
            True,
            1800.0,
        ),
        (httpx.Response(429, headers={"Retry-After": "2"}), "rate_limited", True, 2.0),
        (httpx.Response(403, text="Incorrect username and/or password"), "auth", False, None),
        (httpx.Response(401), "auth", False, None),
        (httpx.Response(402, json={"error": "feature not available"}), "config", False, None),
        (httpx.Response(500), "server", True, None),
        (httpx.Response(200, content=b"{not json"), "parse", True, None),
    ],
)
def test_quota_rate_limit_and_auth_are_told_apart(
    token: str, response: httpx.Response, kind: str, retryable: bool, retry_after: float | None
) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{API}/dashboard/all_activity").mock(return_value=response)
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
    err = info.value
    assert (err.kind, err.retryable, err.retry_after) == (kind, retryable, retry_after)
    assert token not in err.message
    if kind == "quota":
        assert "1800 s" in explain(err)


def test_requests_per_poll_same_for_1_and_200_workers(token: str) -> None:
    totals = []
    for n in (1, 200):
        users = [{"id": i, "email": f"w{i}@example.com"} for i in range(n)]
        activity = [{"user_id": i, "project_id": 0, "duration": -1741698300 - i} for i in range(n)]
        src = make()
        with respx.mock:
            respx.get(f"{API}/users").mock(return_value=httpx.Response(200, json=users))
            respx.get(f"{API}/dashboard/all_activity").mock(
                return_value=httpx.Response(200, json=activity)
            )
            respx.post(SEARCH).mock(
                return_value=httpx.Response(200, json=[row(i, 1) for i in range(n)])
            )
            result = src.fetch({}, NOW)
        assert sum(e.running for e in result.entries) == n
        totals.append(result.requests)
    assert totals == [3, 3]


def test_toggl_declares_it_cannot_stop_timers(token: str) -> None:
    src = make()
    assert not src.can_stop_timer
    with pytest.raises(SourceError) as info:
        src.stop_timer("ana@example.com", NOW)
    assert info.value.kind == "config"
