"""Values a peer may send that are well-formed but impossible, through the whole engine.

Clockify, Toggl, Harvest and the roster sheet answer from a loopback server
with the vendors' documented shapes, but with values at the edge: a timestamp
whose offset carries it past year 1 or 9999, a duration of 1e300 seconds, a
``spent_date`` in year 9999, a timer that starts next year, a roster reduced to
its header. Each must cost the value (a counted, visible warning) or fail the
source with words, never the whole tracker, and never silently change hours
or empty the team. Everything is judged at a fixed instant.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from farwatch.state.engine import Engine
from farwatch.state.report import status_report
from farwatch.state.settings import CacheSettings, Settings, SourceSettings
from tests.security.hostile import Hostile

NOW = datetime(2026, 3, 11, 15, 42, tzinfo=UTC)
ANA = "ana@example.com"
ROSTER = (
    b"id,name,email,timezone,hours,days\r\nana,Ana Reyes,ana@example.com,UTC,00:00-23:59,daily\r\n"
)
EDGE_TIMES = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def quiet_routes(server: Hostile) -> None:
    """Every tracker answers its documented shape, with nobody working."""
    server.routes.update(
        {
            "/roster.csv": (200, {"Content-Type": "text/csv"}, ROSTER),
            "/api/v1/": (200, {}, []),
            "/api/v1/workspaces/w1/users": (200, {}, [{"id": "u-ana", "email": ANA}]),
            "/reports/": (200, {}, {"timeentries": []}),
            "/api/v9/": (200, {}, []),
            "/api/v9/workspaces/7/users": (200, {}, [{"id": 1, "email": ANA}]),
            "/reports/api/v3/": (200, {}, []),
            "/v2/users": (200, {}, {"users": [{"id": 9, "email": ANA}], "links": {"next": None}}),
            "/v2/time_entries": (200, {}, {"time_entries": [], "links": {"next": None}}),
        }
    )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Hostile, Engine]]:
    monkeypatch.setenv("FW_TRACKER_KEY", "hostile-values-key-1")
    key = {"api_key_env": "FW_TRACKER_KEY", "timeout": 5.0}
    server = Hostile("ok", other_port=0)  # no mode here links to another host
    try:
        quiet_routes(server)
        sources = (
            SourceSettings("sheet", "roster", 300.0, {"url": server.url("/roster.csv")}),
            SourceSettings(
                "clockify",
                "clockify",
                300.0,
                {
                    **key,
                    "workspace": "w1",
                    "base_url": server.url("/api/v1"),
                    "reports_url": server.url("/reports"),
                },
            ),
            SourceSettings(
                "toggl",
                "toggl",
                300.0,
                {
                    **key,
                    "workspace": "7",
                    "base_url": server.url("/api/v9"),
                    "reports_url": server.url("/reports/api/v3"),
                },
            ),
            SourceSettings(
                "harvest",
                "harvest",
                300.0,
                {**key, "account": "123", "base_url": server.url("/v2")},
            ),
        )
        settings = Settings(
            path=None,
            cache=CacheSettings(path=tmp_path / "cache.json", retention=3650 * 86400.0),
            sources=sources,
            audit_path=tmp_path / "audit.jsonl",
        )
        engine = Engine(settings, clock=Clock(NOW))
        engine.open()
        try:
            assert engine.poll_source("roster").ok
            yield server, engine
        finally:
            engine.close()
    finally:
        server.close()


def later(engine: Engine, minutes: int) -> None:
    clock = engine.clock
    assert isinstance(clock, Clock)
    clock.at += timedelta(minutes=minutes)


def document(engine: Engine) -> dict[str, Any]:
    return status_report(engine.statuses(), engine.health(), {}, engine.clock())


def ana(engine: Engine) -> dict[str, Any]:
    return {w["id"]: w for w in document(engine)["workers"]}["ana"]


def warnings_of(engine: Engine, source: str) -> list[str]:
    found = {s["name"]: s for s in document(engine)["sources"]}[source]
    return [w["text"] for w in found["warnings"]]


def running_rows(source: str, start: str) -> tuple[str, Any]:
    """The route and answer listing Ana's running timer that starts at ``start``."""
    if source == "clockify":
        row = {"id": f"t-{start}", "userId": "u-ana", "timeInterval": {"start": start}}
        return "/api/v1/workspaces/w1/time-entries/status/in-progress", [row]
    if source == "toggl":
        return "/api/v9/workspaces/7/dashboard/all_activity", [
            {"user_id": 1, "duration": -1, "start": start, "description": "work"}
        ]
    row = {
        "id": zlib.crc32(start.encode()),
        "user": {"id": 9},
        "is_running": True,
        "timer_started_at": start,
        "hours_without_timer": 0,
    }
    return "/v2/time_entries", row


@pytest.mark.parametrize("edge", EDGE_TIMES)
@pytest.mark.parametrize("source", ["clockify", "toggl", "harvest"])
def test_a_timestamp_whose_offset_leaves_the_calendar_costs_its_row_not_the_tracker(
    source: str, edge: str, world: tuple[Hostile, Engine]
) -> None:
    server, engine = world
    route, good = running_rows(source, iso(NOW - timedelta(hours=1)))
    _, bad = running_rows(source, edge)
    if source == "harvest":
        server.routes[route] = (200, {}, {"time_entries": [bad, good], "links": {"next": None}})
    else:
        server.routes[route] = (200, {}, [*bad, *good])
    outcome = engine.poll_source(source)
    assert outcome.ok, outcome.error and outcome.error.message
    assert ana(engine)["running"] is True
    skipped = [w for w in warnings_of(engine, source) if "skipped" in w and "running timer" in w]
    assert skipped and "is not a date-time" in skipped[0]  # Harvest lists it twice


def test_a_finished_toggl_row_with_an_impossible_duration_costs_that_row(
    world: tuple[Hostile, Engine],
) -> None:
    server, engine = world
    started = iso(NOW - timedelta(hours=1))
    activity = "/api/v9/workspaces/7/dashboard/all_activity"
    server.routes[activity] = (200, {}, [{"user_id": 1, "duration": -1, "start": started}])
    assert engine.poll_source("toggl").ok
    assert ana(engine)["running"] is True
    later(engine, 10)
    stopped = iso(NOW + timedelta(minutes=5))
    finished = {"user_id": 1, "duration": 1e300, "start": started, "stop": stopped}
    server.routes[activity] = (200, {}, [finished])
    outcome = engine.poll_source("toggl")
    assert outcome.ok, outcome.error and outcome.error.message
    assert any("duration is not a number of seconds" in w for w in warnings_of(engine, "toggl"))
    assert ana(engine)["running"] is False  # the entries refresh confirmed the stop


def test_a_harvest_entry_dated_far_outside_the_dates_asked_for_is_not_counted(
    world: tuple[Hostile, Engine],
) -> None:
    server, engine = world
    rows = [
        {"id": 1, "user": {"id": 9}, "spent_date": "9999-12-31", "hours": 2, "is_running": False},
        {"id": 2, "user": {"id": 9}, "spent_date": "2026-03-11", "hours": 1.5, "is_running": False},
    ]
    server.routes["/v2/time_entries"] = (200, {}, {"time_entries": rows, "links": {"next": None}})
    outcome = engine.poll_source("harvest")
    assert outcome.ok, outcome.error and outcome.error.message
    assert ana(engine)["hours_used"] == 1.5
    warned = [w for w in warnings_of(engine, "harvest") if "9999-12-31" in w]
    assert warned and "skipped 1 time entry dated outside the dates asked for" in warned[0]


@pytest.mark.parametrize("source", ["clockify", "toggl", "harvest"])
def test_a_timer_that_starts_next_year_is_a_visible_warning(
    source: str, world: tuple[Hostile, Engine]
) -> None:
    server, engine = world
    route, rows = running_rows(source, iso(NOW + timedelta(days=200)))
    if source == "harvest":
        rows = {"time_entries": [rows], "links": {"next": None}}
    server.routes[route] = (200, {}, rows)
    outcome = engine.poll_source(source)
    assert outcome.ok, outcome.error and outcome.error.message
    assert ana(engine)["running"] is False  # not counted before its time
    warned = [w for w in warnings_of(engine, source) if "later than now" in w]
    assert warned and "2026-09-27 15:42 UTC" in warned[0], warnings_of(engine, source)


def test_a_roster_reduced_to_its_header_keeps_the_team_and_says_why(
    world: tuple[Hostile, Engine],
) -> None:
    server, engine = world
    assert [w["id"] for w in document(engine)["workers"]] == ["ana"]
    server.routes["/roster.csv"] = (200, {"Content-Type": "text/csv"}, ROSTER.split(b"\r\n")[0])
    later(engine, 10)  # past the sheet's refresh
    outcome = engine.poll_source("roster")
    assert not outcome.ok and outcome.error is not None
    assert "no worker rows, only a header on line 1" in outcome.error.message
    assert [w["id"] for w in document(engine)["workers"]] == ["ana"]


@pytest.mark.parametrize(
    ("header", "ending"),
    [
        ("inf", "answered 429)"),
        ("1e400", "answered 429)"),
        ("nan", "answered 429)"),
        ("Fri, 31 Dec 9999 23:59:59 GMT", "answered 429; retry after 86400 s)"),
    ],
)
def test_an_endless_retry_after_is_read_as_the_longest_wait_farwatch_honours(
    header: str, ending: str, world: tuple[Hostile, Engine]
) -> None:
    server, engine = world
    server.routes["/api/v1/workspaces/w1/time-entries/status/in-progress"] = (
        429,
        {"Retry-After": header},
        {},
    )
    outcome = engine.poll_source("clockify")
    assert outcome.error is not None and outcome.error.kind == "rate_limited"
    message = outcome.error.message
    assert message.endswith(ending), message
    health = {h.name: h for h in engine.health()}["clockify"]
    assert health.next_poll is not None
    assert health.next_poll - NOW <= timedelta(days=1)


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [(200, "parse", "answered with JSON nested too deeply to read"), (401, "auth", "rejected")],
)
def test_json_nested_past_the_stack_is_a_parse_error_not_a_crash(
    status: int, kind: str, words: str, world: tuple[Hostile, Engine]
) -> None:
    server, engine = world
    deep = b"[" * 100_000 + b"]" * 100_000
    server.routes["/api/v1/workspaces/w1/time-entries/status/in-progress"] = (status, {}, deep)
    outcome = engine.poll_source("clockify")
    assert outcome.error is not None and outcome.error.kind == kind, outcome.error
    assert words in outcome.error.message


def test_one_id_listed_for_two_entries_is_a_visible_warning(world: tuple[Hostile, Engine]) -> None:
    server, engine = world

    def row(hours: int) -> dict[str, Any]:
        end = NOW - timedelta(hours=1)
        interval = {"start": iso(end - timedelta(hours=hours)), "end": iso(end)}
        return {"_id": "e1", "userId": "u-ana", "userEmail": ANA, "timeInterval": interval}

    server.routes["/reports/"] = (200, {}, {"timeentries": [row(1), row(3)]})
    outcome = engine.poll_source("clockify")
    assert outcome.ok, outcome.error and outcome.error.message
    assert ana(engine)["hours_used"] == 3.0  # the last one listed
    warned = [w for w in warnings_of(engine, "clockify") if "'clockify:e1'" in w]
    assert warned and "1 id listed for two different entries" in warned[0]


def test_a_clockify_timer_without_a_user_is_skipped_by_name_not_a_nameless_stranger(
    world: tuple[Hostile, Engine],
) -> None:
    server, engine = world
    start = {"start": iso(NOW - timedelta(hours=1))}
    rows = [
        {"id": "t1", "userId": None, "timeInterval": start},
        {"id": "t2", "timeInterval": start},
        {"id": "t3", "userId": "", "timeInterval": start},
    ]
    server.routes["/api/v1/workspaces/w1/time-entries/status/in-progress"] = (200, {}, rows)
    outcome = engine.poll_source("clockify")
    assert outcome.ok, outcome.error and outcome.error.message
    found = {s["name"]: s for s in document(engine)["sources"]}["clockify"]
    assert found["unmatched"] == 0
    assert [w["text"] for w in found["warnings"]] == [
        "clockify: skipped 3 running timers (userId is not an id)"
    ]
