"""Every tracker survives answers of the wrong types: skip odd rows, or a parse error.

A tracker that answers ``null`` where an object belongs, a string where a list
belongs, numbers as ids or timestamps, must never crash the poll with an
exception the owner cannot read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from farwatch.sources.base import Source, SourceError
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
