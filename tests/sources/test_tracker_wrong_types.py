"""Every tracker survives answers of the wrong types: skip odd rows, or a parse error.

A tracker that answers ``null`` where an object belongs, a string where a list
belongs, numbers as ids or timestamps, must never crash the poll with an
exception the owner cannot read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import Source, SourceError, TimerNotRunning
from farwatch.sources.clockify import ClockifySource
from farwatch.sources.harvest import HarvestSource
from farwatch.sources.toggl import TogglSource

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
START = "2025-03-11T13:05:24Z"

MANGLED_ROW: list[Any] = [
    None,
    "row",
    7,
    [],
    {"id": None, "user": "ana", "user_id": "x", "userId": 5, "timeInterval": [1]},
    {"id": 1, "user": {"id": [1]}, "user_id": {}, "duration": "long", "start": 5, "stop": []},
    {
        "id": 2,
        "user": {"id": 9, "name": None},
        "is_running": "yes",
        "timer_started_at": 17,
        "hours": "2",
        "hours_without_timer": None,
        "task": "x",
        "project": 3,
        "notes": ["a"],
    },
    {"id": 3, "user_id": 9, "duration": -1741698300, "description": {"x": 1}, "start": START},
]
ANSWERS: list[Any] = [
    None,
    "text",
    42,
    [],
    {},
    MANGLED_ROW,
    {"time_entries": MANGLED_ROW, "links": {"next": 5}, "users": MANGLED_ROW},
    {"time_entries": "none", "links": None, "users": None, "timeentries": {"a": 1}},
    {"groups": MANGLED_ROW, "timeentries": MANGLED_ROW, "data": MANGLED_ROW},
]


def sources(monkeypatch: pytest.MonkeyPatch) -> list[Source]:
    monkeypatch.setenv("FW_TRACKER_KEY", "key-123")
    return [
        ClockifySource("clockify", {"workspace": "w1", "api_key_env": "FW_TRACKER_KEY"}),
        TogglSource("toggl", {"workspace": "4561855", "api_key_env": "FW_TRACKER_KEY"}),
        HarvestSource("harvest", {"account": "123456", "api_key_env": "FW_TRACKER_KEY"}),
    ]


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: type(a).__name__)
def test_wrong_types_never_crash_a_poll(answer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for source in sources(monkeypatch):
        with respx.mock(assert_all_called=False) as router:
            router.route().mock(return_value=httpx.Response(200, json=answer))
            try:
                result = source.fetch({}, NOW)
            except SourceError as exc:
                assert exc.kind in {"parse", "protocol"}, (source.type_name, exc.kind, exc.message)
                assert exc.message
            else:
                for entry in result.entries:
                    assert isinstance(entry.who, str) and isinstance(entry.task, str)
                    assert entry.start.tzinfo is not None
        source.close()


# -- Toggl and Harvest, one mangled field at a time --------------------------------

TOGGL_API = "https://api.track.toggl.com/api/v9/workspaces/4561855"
TOGGL_SEARCH = "https://api.track.toggl.com/reports/api/v3/workspace/4561855/search/time_entries"
HARVEST_API = "https://api.harvestapp.com/v2"
GOOD_ACTIVITY = {"user_id": 9, "duration": -1741698300, "description": "Inbox triage"}
GOOD_SEARCH_ROW = {
    "user_id": 9,
    "description": "Invoices",
    "time_entries": [{"id": 1, "start": "2025-03-10T09:00:00Z", "stop": "2025-03-10T10:00:00Z"}],
}


def raw_json(text: str) -> httpx.Response:
    """A body the way a broken server sends it (NaN and huge numbers included)."""
    return httpx.Response(200, content=text.encode(), headers={"Content-Type": "application/json"})


def toggl_fetch(
    monkeypatch: pytest.MonkeyPatch, activity: httpx.Response, search: httpx.Response
) -> Any:
    monkeypatch.setenv("FW_TRACKER_KEY", "key-123")
    source = TogglSource("toggl", {"workspace": "4561855", "api_key_env": "FW_TRACKER_KEY"})
    with respx.mock:
        respx.get(f"{TOGGL_API}/users").mock(
            return_value=httpx.Response(200, json=[{"id": 9, "email": "ana@x.co"}])
        )
        respx.get(f"{TOGGL_API}/dashboard/all_activity").mock(return_value=activity)
        respx.post(TOGGL_SEARCH).mock(return_value=search)
        try:
            return source.fetch({}, NOW)
        finally:
            source.close()


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ('{"user_id": 9, "duration": NaN}', "duration"),
        ('{"user_id": 9, "duration": -1e300}', "duration"),
        ('{"user_id": 9, "duration": -99999999999999}', "duration"),
        ('{"user_id": null, "duration": -1741698300}', "user_id"),
        ('{"user_id": {"id": 9}, "duration": -1741698300}', "user_id"),
        ('"a string row"', "not an object"),
    ],
)
def test_toggl_running_row_of_wrong_types_is_skipped_with_a_warning(
    bad: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = '{"user_id": 9, "duration": -1741698300, "description": "Inbox triage"}'
    result = toggl_fetch(monkeypatch, raw_json(f"[{bad}, {good}]"), httpx.Response(200, json=[]))
    assert [(e.who, e.task) for e in result.entries] == [("ana@x.co", "Inbox triage")]
    assert any("skipped 1 running timer" in w and why in w for w in result.warnings), (
        result.warnings
    )


@pytest.mark.parametrize(
    ("mangled", "why"),
    [
        ({"time_entries": 5}, "time_entries"),
        ({"time_entries": True}, "time_entries"),
        ({"time_entries": "abc"}, "time_entries"),
        ({"user_id": [9]}, "user_id"),
        ({"time_entries": [None]}, "not an object"),
    ],
)
def test_toggl_search_row_of_wrong_types_is_skipped_with_a_warning(
    mangled: dict[str, Any], why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{**GOOD_SEARCH_ROW, **mangled}, {**GOOD_SEARCH_ROW, "description": "Kept"}]
    result = toggl_fetch(monkeypatch, httpx.Response(200, json=[]), httpx.Response(200, json=rows))
    assert [e.task for e in result.entries] == ["Kept"]
    assert any("skipped" in w and why in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("activity", "search", "words"),
    [
        ({"data": [GOOD_ACTIVITY]}, [], "dashboard activity: expected a list, got an object"),
        ([GOOD_ACTIVITY], {"rows": []}, "time entry search: expected a list, got an object"),
        ("busy", [], "dashboard activity: expected a list, got a string"),
        (None, [], "dashboard activity: expected a list, got null"),
    ],
)
def test_toggl_answer_of_the_wrong_shape_is_a_parse_error_saying_so(
    activity: Any, search: Any, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SourceError) as caught:
        toggl_fetch(monkeypatch, raw_json(json.dumps(activity)), raw_json(json.dumps(search)))
    assert caught.value.kind == "parse"
    assert words in caught.value.message


def harvest_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 662202797,
        "spent_date": "2025-03-11",
        "user": {"id": 7, "name": "Al"},
        "project": {"id": 1, "name": "Task Force"},
        "task": {"id": 2, "name": "Programming"},
        "notes": "Kept",
        "hours": 1.5,
        "hours_without_timer": 1.5,
        "is_running": False,
        "timer_started_at": None,
    }
    return {**row, **changes}


def harvest_fetch(monkeypatch: pytest.MonkeyPatch, running: Any, entries: Any) -> Any:
    monkeypatch.setenv("FW_TRACKER_KEY", "key-123")
    source = HarvestSource("harvest", {"account": "1", "api_key_env": "FW_TRACKER_KEY"})

    def time_entries(request: httpx.Request) -> httpx.Response:
        body = running if request.url.params.get("is_running") == "true" else entries
        return body if isinstance(body, httpx.Response) else httpx.Response(200, json=body)

    with respx.mock:
        respx.get(f"{HARVEST_API}/users").mock(
            return_value=httpx.Response(200, json={"users": [{"id": 7, "email": "al@x.co"}]})
        )
        respx.get(f"{HARVEST_API}/time_entries").mock(side_effect=time_entries)
        try:
            return source.fetch({}, NOW)
        finally:
            source.close()


RUNNING = {"is_running": True, "timer_started_at": START, "notes": "Live"}


@pytest.mark.parametrize(
    ("mangled", "why"),
    [
        ({"hours_without_timer": "lots"}, "hours_without_timer"),
        ({"hours_without_timer": [1]}, "hours_without_timer"),
        ({"hours_without_timer": -2}, "hours_without_timer"),
        ({"timer_started_at": 17}, "timer_started_at"),
        ({"user": "al"}, "user"),
        ({"id": {"n": 1}}, "id"),
    ],
)
def test_harvest_running_row_of_wrong_types_is_skipped_with_a_warning(
    mangled: dict[str, Any], why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = {
        "time_entries": [harvest_row(**{**RUNNING, **mangled}), harvest_row(**RUNNING, id=2)]
    }
    result = harvest_fetch(monkeypatch, running, {"time_entries": []})
    assert [(e.who, e.task, e.running) for e in result.entries] == [("al@x.co", "Live", True)]
    assert any("skipped 1" in w and why in w for w in result.warnings), result.warnings


def test_harvest_is_running_as_a_string_is_not_taken_for_true(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = {"time_entries": [harvest_row(is_running="false")]}
    result = harvest_fetch(monkeypatch, {"time_entries": []}, entries)
    assert [(e.task, e.running) for e in result.entries] == [("Kept", False)]


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('{"id": 5, "user": {"id": 7}, "spent_date": "2025-03-11", "hours": NaN}', "hours"),
        ('{"id": 5, "user": {"id": 7}, "spent_date": "2025-03-11", "hours": 1e300}', "hours"),
        ('{"id": 5, "user": {"id": 7}, "spent_date": "2025-03-11", "hours": -3}', "hours"),
        ('{"id": 5, "user": {"id": 7}, "spent_date": "2025-03-11", "hours": "x"}', "hours"),
        ('{"id": 5, "user": {"id": 7}, "spent_date": 20250311, "hours": 1}', "spent_date"),
        ('{"id": 5, "user": null, "spent_date": "2025-03-11", "hours": 1}', "user"),
        ("[1, 2]", "not an object"),
    ],
)
def test_harvest_entry_of_wrong_types_is_skipped_with_a_warning(
    row: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = json.dumps(harvest_row())
    entries = raw_json(f'{{"time_entries": [{row}, {good}]}}')
    result = harvest_fetch(monkeypatch, {"time_entries": []}, entries)
    assert [(e.task, e.seconds(NOW)) for e in result.entries] == [("Kept", 5400.0)]
    assert any("skipped 1 time entr" in w and why in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("running", "entries", "words"),
    [
        ({"time_entries": {"a": 1}}, {"time_entries": []}, "expected a list, got an object"),
        ([], {"time_entries": []}, "expected an object, got a list"),
        ({"time_entries": []}, {"time_entries": "none"}, "expected a list, got a string"),
        ({"time_entries": []}, 42, "expected an object, got a number"),
    ],
)
def test_harvest_answer_of_the_wrong_shape_is_a_parse_error_saying_so(
    running: Any, entries: Any, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SourceError) as caught:
        harvest_fetch(monkeypatch, running, entries)
    assert caught.value.kind == "parse"
    assert "time_entries" in caught.value.message and words in caught.value.message


def test_harvest_stop_timer_survives_a_user_that_is_not_an_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FW_TRACKER_KEY", "key-123")
    source = HarvestSource("harvest", {"account": "1", "api_key_env": "FW_TRACKER_KEY"})
    running = {"time_entries": [harvest_row(**RUNNING, user="al"), None]}
    with respx.mock:
        respx.get(f"{HARVEST_API}/users").mock(
            return_value=httpx.Response(200, json={"users": [{"id": 7, "email": "al@x.co"}]})
        )
        respx.get(f"{HARVEST_API}/time_entries").mock(
            return_value=httpx.Response(200, json=running)
        )
        with pytest.raises(TimerNotRunning):
            source.stop_timer("al@x.co", NOW)
    source.close()
