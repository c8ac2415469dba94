"""The roster sheet over HTTP against a server that refuses, hangs, drops the
answer, talks garbage or rate-limits (429 with Retry-After).

A real HTTP server on 127.0.0.1 serves the roster CSV behind a ``FaultProxy``;
the engine and the real ``farwatch poll`` loop poll it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from servers import ROSTER, FaultProxy, SheetSite, make_engine, run_daemon, seen, sheet_site

from farwatch.sources.explain import explain
from farwatch.state import audit
from farwatch.state.engine import Engine
from farwatch.state.settings import SourceSettings

INTERVAL = 0.3
TIMEOUT = 0.5
WINDOW = 1.5
# A roster long enough that a cut answer is cut inside the CSV, not the headers.
BODY = (ROSTER + "".join(f"w{i},Worker {i},w{i}@example.com,UTC,,,\n" for i in range(40))).encode()

EXPECTED: dict[str, tuple[str, str]] = {
    "refuse": ("refused", "refused the connection"),
    "hang": ("timeout", "timed out after 0.5 s"),
    "drop": ("server", "broke off the answer"),
    "garbage": ("server", "broke off the answer"),
    "429": ("rate_limited", "rate limiting (HTTP 429)"),
}


@pytest.fixture
def site() -> Iterator[SheetSite]:
    with sheet_site(BODY) as served:
        yield served


@pytest.fixture
def proxy(site: SheetSite) -> Iterator[FaultProxy]:
    front = FaultProxy(site.port, drop_on=b"GET", drop_after=300)
    yield front
    front.close()


def sheet_engine(root: Path, proxy: FaultProxy) -> Engine:
    options = {
        "url": f"http://127.0.0.1:{proxy.port}/roster.csv?key=sheet-link-secret",
        "timeout": TIMEOUT,
        "connect_timeout": TIMEOUT,
        "refresh": "0s",
    }
    return make_engine(root, SourceSettings("sheet", "team", INTERVAL, options), roster_file=False)


@pytest.mark.parametrize("mode", ["refuse", "hang", "drop", "garbage", "429"])
def test_sheet_fault_is_shown_keeps_roster_backs_off_and_recovers(
    mode: str, tmp_path: Path, site: SheetSite, proxy: FaultProxy
) -> None:
    engine = sheet_engine(tmp_path, proxy)
    try:
        assert engine.poll_source("team").ok
        before = seen(engine)
        assert len(before) == 42 and before["ana"][0] == "Ana Reyes"

        if mode == "429":
            site.status, site.headers = 429, {"Retry-After": "120"}
        else:
            proxy.set(mode)  # type: ignore[arg-type]
        started = time.monotonic()
        outcome = engine.poll_source("team")
        assert time.monotonic() - started < TIMEOUT + 1.5
        kind, words = EXPECTED[mode]
        assert not outcome.ok and outcome.error is not None
        assert outcome.error.kind == kind, outcome.error.message
        health = {h.name: h for h in engine.health()}["team"]
        assert health.last_error_kind == kind and health.last_error_title
        assert health.last_error is not None and words in health.last_error
        assert "sheet-link-secret" not in health.last_error  # the link is a key
        assert explain(outcome.error)
        assert health.last_error_at is not None and health.next_poll is not None
        least = 120.0 if mode == "429" else INTERVAL
        assert health.next_poll >= health.last_error_at + timedelta(seconds=least)
        assert seen(engine) == before

        connections, requests = proxy.count(), site.requests
        run_daemon(engine, WINDOW)
        health = {h.name: h for h in engine.health()}["team"]
        tries = health.consecutive_failures - 1
        if mode == "429":  # Retry-After: 120 is honoured; nothing is asked meanwhile
            assert tries == 0 and site.requests == requests and proxy.count() == connections
        else:
            assert 1 <= tries <= int(WINDOW / INTERVAL) + 1
            if mode != "refuse":
                assert proxy.count() - connections == tries
            assert health.last_error_at is not None and health.next_poll is not None
            wait = (health.next_poll - health.last_error_at).total_seconds()
            assert wait >= INTERVAL * 2 ** (health.consecutive_failures - 1) * 0.75 - 0.01
        assert seen(engine) == before
        assert len(audit.read_entries(engine.settings.audit_file)) == 1

        # Back, with a new worker on the sheet: "poll now" shows them.
        site.status, site.headers = 200, {}
        site.body = BODY + b"chen,Chen Wei,chen@example.com,UTC,,,\n"
        proxy.set("relay")
        recovered = engine.poll_source("team")
        assert recovered.ok, recovered.error
        now_seen = seen(engine)
        assert set(now_seen) == set(before) | {"chen"}
        health = {h.name: h for h in engine.health()}["team"]
        assert health.consecutive_failures == 0 and health.ok
        newest = audit.read_entries(engine.settings.audit_file)[0]
        assert (newest.action, newest.outcome) == ("source_recovered", "ok")
    finally:
        engine.close()
