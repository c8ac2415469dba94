"""Clockify contract tests from the documented payloads (respx; no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import SourceError, TimerNotRunning
from farwatch.sources.clockify import ClockifySource
from farwatch.sources.explain import explain

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
WID = "64a687e29ae1f428e7ebe303"
API = f"https://api.clockify.me/api/v1/workspaces/{WID}"
REPORT = f"https://reports.api.clockify.me/v1/workspaces/{WID}/reports/detailed"


def running(uid: str, start: str = "2025-03-11T13:05:00Z", n: int = 1) -> dict[str, Any]:
    return {
        "id": f"67cf1a2be4b0a1c2d3e4f5{n:02d}",
        "description": "Inbox triage - client A",
        "userId": uid,
        "projectId": "25b687e29ae1f428e7ebe123",
        "taskId": None,
        "tagIds": None,
        "billable": True,
        "workspaceId": WID,
        "timeInterval": {"start": start, "end": None, "duration": None},
        "hourlyRate": None,
        "costRate": None,
        "customFieldValues": [],
        "type": "REGULAR",
        "kioskId": None,
        "isLocked": False,
    }


def report_row(n: int, uid: str, email: str) -> dict[str, Any]:
    return {
        "_id": f"e{n}",
        "description": "",
        "userId": uid,
        "userName": "Ana",
        "userEmail": email,
        "projectName": "Bookkeeping",
        "billable": True,
        "timeInterval": {
            "start": "2025-03-10T09:00:00Z",
            "end": "2025-03-10T10:30:00Z",
            "duration": 5400,
        },
    }


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLOCKIFY_KEY", "ck-secret-123")
    return "ck-secret-123"


def make(**extra: Any) -> ClockifySource:
    return ClockifySource("clockify", {"workspace": WID, "api_key_env": "CLOCKIFY_KEY", **extra})


def paged(pages: list[list[dict[str, Any]]]) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json=pages[page - 1] if page <= len(pages) else [])

    return answer


def users(n: int) -> list[dict[str, Any]]:
    return [{"id": f"u{i}", "email": f"Worker{i}@Example.com", "name": f"W{i}"} for i in range(n)]


def test_running_timers_and_hours_for_every_user(key: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(2)]))
        respx.get(f"{API}/time-entries/status/in-progress").mock(
            side_effect=paged([[running("u0")]])
        )
        report = respx.post(REPORT).mock(
            return_value=httpx.Response(
                200, json={"totals": [], "timeentries": [report_row(1, "u1", "w1@example.com")]}
            )
        )
        result = src.fetch({}, NOW)
    live = [e for e in result.entries if e.running]
    assert len(live) == 1
    assert live[0].who == "worker0@example.com"  # email from the users list, lower-cased
    assert live[0].seconds(NOW) == (NOW - datetime(2025, 3, 11, 13, 5, tzinfo=UTC)).total_seconds()
    done = [e for e in result.entries if not e.running]
    assert [(e.who, e.seconds(NOW)) for e in done] == [("w1@example.com", 5400.0)]
    assert result.running_complete and result.entries_complete
    assert result.entries_window == (NOW - timedelta(days=31), NOW)
    assert result.requests == 3 and report.call_count == 1
    assert "ck-secret-123" not in repr(result.cursor)


def test_next_poll_costs_one_request(key: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(1)]))
        respx.get(f"{API}/time-entries/status/in-progress").mock(side_effect=paged([[]]))
        respx.post(REPORT).mock(return_value=httpx.Response(200, json={"timeentries": []}))
        first = src.fetch({}, NOW)
        second = src.fetch(first.cursor, NOW + timedelta(minutes=5))
        third = src.fetch(second.cursor, NOW + timedelta(minutes=31))
        day = src.fetch(third.cursor, NOW + timedelta(hours=25))
    assert day.entries_window == (
        NOW + timedelta(hours=25) - timedelta(days=31),
        NOW + timedelta(hours=25),
    )
    assert day.requests == 3  # users and the whole window are due again
    assert (first.requests, second.requests, third.requests) == (3, 1, 2)
    assert not second.entries_complete and second.running_complete
    # the 30-minute refresh re-reads the recent days; the whole window comes back daily
    later = NOW + timedelta(minutes=31)
    assert third.entries_complete and third.entries_window == (later - timedelta(days=2), later)
    assert first.entries_window == (NOW - timedelta(days=31), NOW)


def test_paging_across_several_pages(key: str) -> None:
    src = make()
    src.page_size = 2  # type: ignore[misc]
    pages = [[running(f"u{i}", n=i) for i in range(k, k + 2)] for k in (0, 2)] + [
        [running("u4", n=4)]
    ]
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(2), users(4)[2:], []]))
        route = respx.get(f"{API}/time-entries/status/in-progress").mock(side_effect=paged(pages))
        respx.post(REPORT).mock(return_value=httpx.Response(200, json={"timeentries": []}))
        result = src.fetch({}, NOW)
    assert route.call_count == 3
    assert sorted(e.who for e in result.entries) == [
        "u4",
        "worker0@example.com",
        "worker1@example.com",
        "worker2@example.com",
        "worker3@example.com",
    ]


def test_requests_per_poll_do_not_grow_with_workers(key: str) -> None:
    """One call per kind of data for the whole workspace; only full pages add one."""
    calls = {}
    for n in (1, 200):
        src = make()
        with respx.mock:
            who = respx.get(f"{API}/users").mock(side_effect=paged([users(n)]))
            live = respx.get(f"{API}/time-entries/status/in-progress").mock(
                side_effect=paged([[running(f"u{i}", n=i % 100) for i in range(min(n, 150))]])
            )
            report = respx.post(REPORT).mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "timeentries": [
                            report_row(i, f"u{i}", f"w{i}@example.com") for i in range(n)
                        ]
                    },
                )
            )
            total = src.fetch({}, NOW).requests
            assert not any("/user/" in str(c.request.url) for c in respx.calls)
            calls[n] = (live.call_count, report.call_count, who.call_count, total)
    assert calls[1] == calls[200] == (1, 1, 1, 3)


def test_stop_timer_success_and_nothing_running(key: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(2)]))
        stop = respx.patch(f"{API}/user/u1/time-entries").mock(
            return_value=httpx.Response(
                200,
                json={
                    **running("u1"),
                    "timeInterval": {
                        "start": "2025-03-11T13:05:00Z",
                        "end": "2025-03-11T15:42:00Z",
                    },
                },
            )
        )
        result = src.stop_timer("worker1@example.com", NOW)
        assert stop.calls.last.request.content == b'{"end":"2025-03-11T15:42:00.000Z"}'
        assert stop.calls.last.request.headers["X-Api-Key"] == key
        assert result.entry_key.startswith("clockify:") and result.stopped_at == NOW
        respx.patch(f"{API}/user/u0/time-entries").mock(return_value=httpx.Response(404))
        with pytest.raises(TimerNotRunning):
            src.stop_timer("u0", NOW)
    assert src.can_stop_timer


def test_unknown_worker_cannot_be_stopped(key: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(1)]))
        with pytest.raises(SourceError) as info:
            src.stop_timer("nobody@example.com", NOW)
    assert info.value.kind == "not_found"


@pytest.mark.parametrize(
    ("response", "kind", "retryable", "retry_after"),
    [
        (httpx.Response(429, headers={"Retry-After": "120"}), "rate_limited", True, 120.0),
        (
            httpx.Response(401, json={"message": "Api key does not exist", "code": 4003}),
            "auth",
            False,
            None,
        ),
        (httpx.Response(403, json={"message": "Forbidden"}), "auth", False, None),
        (httpx.Response(503, text="upstream down"), "server", True, None),
        (httpx.Response(200, text="<html>oops</html>"), "parse", True, None),
        (httpx.Response(200, json={"not": "a list"}), "parse", True, None),
    ],
)
def test_http_failures_become_clear_errors(
    key: str, response: httpx.Response, kind: str, retryable: bool, retry_after: float | None
) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{API}/users").mock(side_effect=paged([users(1)]))
        respx.get(f"{API}/time-entries/status/in-progress").mock(return_value=response)
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
    err = info.value
    assert (err.kind, err.retryable, err.retry_after) == (kind, retryable, retry_after)
    assert key not in err.message


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(SourceError) as info:
        make().fetch({}, NOW)
    assert info.value.kind == "auth" and "CLOCKIFY_KEY" in info.value.message


def test_missing_api_key_advice_names_the_variable_and_says_to_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLOCKIFY_KEY", raising=False)
    with pytest.raises(SourceError) as info:
        make().fetch({}, NOW)
    advice = explain(info.value)
    assert "CLOCKIFY_KEY is not set" in advice and "set it to" in advice
    assert "rejected" not in advice
    # the source-health screen rebuilds the error from what the cache keeps
    assert explain(SourceError(info.value.message, kind="auth")) == advice
    monkeypatch.setenv("CLOCKIFY_KEY", "")  # set but empty reads the same: there is no key
    with pytest.raises(SourceError) as empty:
        make().fetch({}, NOW)
    assert explain(empty.value) == advice
