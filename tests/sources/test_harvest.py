"""Harvest contract tests from the documented payloads, plus transport faults.

API answers are faked with respx; the connection faults use real sockets on
127.0.0.1 (nothing listening, a server that never answers).
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import SourceError, TimerNotRunning
from farwatch.sources.explain import describe, explain
from farwatch.sources.harvest import HarvestSource
from farwatch.sources.http import parse_retry_after
from tests.servers.imap import HangingServer, free_port

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
BASE = "https://api.harvestapp.com/v2"


def entry(n: int, uid: int, *, running: bool = False) -> dict[str, Any]:
    return {
        "id": 662202797 + n,
        "spent_date": "2025-03-11",
        "user": {"id": uid, "name": "Jane Smith"},
        "project": {"id": 14808188, "name": "Task Force"},
        "task": {"id": 8083366, "name": "Programming"},
        "notes": None,
        "hours": 1.27,
        "hours_without_timer": 0.5 if running else 1.27,
        "is_running": running,
        "timer_started_at": "2025-03-11T13:05:24Z" if running else None,
        "started_time": None,
        "ended_time": None,
        "updated_at": "2025-03-11T13:05:24Z",
    }


def page(items: list[dict[str, Any]], next_url: str | None, key: str = "time_entries") -> Any:
    return {
        key: items,
        "per_page": 2000,
        "total_pages": 1,
        "total_entries": len(items),
        "next_page": None,
        "previous_page": None,
        "page": 1,
        "links": {"first": "", "next": next_url, "previous": None, "last": ""},
    }


USERS = page(
    [{"id": 1795925, "email": "Jane@Example.com"}, {"id": 7, "email": "al@example.com"}],
    None,
    "users",
)


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HARVEST_TOKEN", "hv-secret-789")
    return "hv-secret-789"


def make(**extra: Any) -> HarvestSource:
    return HarvestSource("harvest", {"account": "123456", "api_key_env": "HARVEST_TOKEN", **extra})


def routes(running: list[dict[str, Any]], entries: Any) -> None:
    respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))

    def time_entries(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("is_running") == "true":
            return httpx.Response(200, json=page(running, None))
        return entries(request) if callable(entries) else httpx.Response(200, json=entries)

    respx.get(f"{BASE}/time_entries").mock(side_effect=time_entries)


def test_running_elapsed_adds_hours_without_timer(token: str) -> None:
    src = make()
    with respx.mock:
        routes([entry(0, 1795925, running=True)], page([entry(1, 7)], None))
        result = src.fetch({}, NOW)
        sent = respx.calls[0].request.headers
    assert sent["Authorization"] == "Bearer hv-secret-789"
    assert sent["Harvest-Account-Id"] == "123456" and "farwatch" in sent["User-Agent"]
    live = [e for e in result.entries if e.running]
    assert [(e.who, e.task) for e in live] == [("jane@example.com", "Task Force / Programming")]
    started = datetime(2025, 3, 11, 13, 5, 24, tzinfo=UTC)
    assert live[0].seconds(NOW) == 0.5 * 3600 + (NOW - started).total_seconds()
    done = [e for e in result.entries if not e.running]
    assert [(e.who, round(e.seconds(NOW))) for e in done] == [("al@example.com", 4572)]
    assert done[0].start.date().isoformat() == "2025-03-11"
    assert result.requests == 3 and result.running_complete and result.entries_complete


def test_paging_follows_links_next_including_cursor_urls(token: str) -> None:
    seen: list[str] = []

    def entries(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json=page([entry(1, 7)], f"{BASE}/time_entries?cursor=p2"))
        if cursor == "p2":
            return httpx.Response(200, json=page([entry(2, 7)], f"{BASE}/time_entries?cursor=p3"))
        return httpx.Response(200, json=page([entry(3, 1795925)], None))

    src = make()
    with respx.mock:
        routes([], entries)
        result = src.fetch({}, NOW)
    assert len(seen) == 3 and "from=" in seen[0] and seen[2].endswith("cursor=p3")
    assert len(result.entries) == 3


def test_requests_per_poll_same_for_1_and_200_workers(token: str) -> None:
    totals = []
    for n in (1, 200):
        src = make()
        with respx.mock:
            routes(
                [entry(i, i, running=True) for i in range(n)],
                page([entry(1000 + i, i) for i in range(n)], None),
            )
            result = src.fetch({}, NOW)
        assert sum(e.running for e in result.entries) == n
        totals.append(result.requests)
    assert totals == [3, 3]


def test_stop_timer_success_and_nothing_running(token: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        running = respx.get(f"{BASE}/time_entries").mock(
            side_effect=lambda r: httpx.Response(
                200,
                json=page(
                    [entry(0, 1795925, running=True)]
                    if r.url.params.get("user_id") == "1795925"
                    else [],
                    None,
                ),
            )
        )
        stop = respx.patch(f"{BASE}/time_entries/662202797/stop").mock(
            return_value=httpx.Response(200, json={**entry(0, 1795925), "notes": "stopped"})
        )
        result = src.stop_timer("jane@example.com", NOW)
        assert stop.called and result.entry_key == "harvest:662202797"
        assert running.calls.last.request.url.params["is_running"] == "true"
        with pytest.raises(TimerNotRunning):
            src.stop_timer("al@example.com", NOW)
        stop.mock(return_value=httpx.Response(422, json={"message": "not running"}))
        with pytest.raises(TimerNotRunning):
            src.stop_timer("1795925", NOW)


def test_429_with_retry_after_and_other_failures(token: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{BASE}/time_entries").mock(
            return_value=httpx.Response(429, headers={"Retry-After": "15"})
        )
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
    assert (info.value.kind, info.value.retry_after) == ("rate_limited", 15.0)
    assert "15 s" in explain(info.value)


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after("7") == 7.0


def test_dns_failure_is_explained_in_plain_words(token: str) -> None:
    src = make(base_url="https://harvest.invalid/v2")
    failure = httpx.ConnectError("[Errno -2] Name or service not known")
    failure.__cause__ = socket.gaierror(-2, "Name or service not known")
    with respx.mock:
        respx.get(url__startswith="https://harvest.invalid/").mock(side_effect=failure)
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
    assert info.value.kind == "dns"
    assert "could not find host harvest.invalid" in info.value.message
    assert "check the host name" in describe(info.value)


def test_nothing_listening_is_refused(token: str) -> None:
    src = make(base_url=f"http://127.0.0.1:{free_port()}/v2")
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    assert info.value.kind == "refused" and info.value.retryable


def test_a_server_that_never_answers_times_out(token: str) -> None:
    server = HangingServer()
    try:
        src = make(base_url=f"http://127.0.0.1:{server.port}/v2", timeout=1.0)
        started = time.monotonic()
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
        assert time.monotonic() - started < 4
    finally:
        server.close()
    assert info.value.kind == "timeout" and "did not answer" in info.value.message


def test_users_listing_forbidden_falls_back_to_tracker_ids(token: str) -> None:
    src = make()
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(403))
        respx.get(f"{BASE}/time_entries").mock(
            return_value=httpx.Response(200, json=page([entry(0, 42, running=True)], None))
        )
        result = src.fetch({}, NOW)
        later = src.fetch(result.cursor, NOW + timedelta(minutes=5))
    assert {e.who for e in result.entries} == {"42"}
    assert any("tracker_id" in w for w in result.warnings) and later.requests == 1
