"""Tracker text fields lose whole escape sequences, not just their control bytes.

A task name such as ``"Invoices\\x1b]0;pwned\\x07"`` from a tracker API must
reach the dashboard as ``"Invoices"``, not ``"Invoices]0;pwned"``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from farwatch.sources.harvest import HarvestSource
from farwatch.sources.netopts import clean_text
from farwatch.sources.toggl import TogglSource

NOW = datetime(2025, 3, 11, 15, 42, tzinfo=UTC)
OSC = "\x1b]0;pwned\x07"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"Invoices{OSC} batch", "Invoices batch"),
        ("\x1b[31mred\x1b[0m task", "red task"),
        ("Reconcile\u202e\u200b March", "Reconcile March"),
        ("two\nlines\tand\r\nmore", "two lines and more"),
        ("  padded  ", "padded"),
        (None, ""),
        (42, "42"),
        ({"x": 1}, ""),
        (["a"], ""),
    ],
)
def test_clean_text_drops_whole_sequences_and_non_text(raw: object, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_caps_the_length_after_cleaning() -> None:
    assert clean_text(OSC + "x" * 50, 10) == "x" * 10


def test_a_toggl_task_with_an_osc_sequence_shows_no_leftovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FW_KEY", "k-1")
    source = TogglSource("toggl", {"workspace": "4561855", "api_key_env": "FW_KEY"})
    api = "https://api.track.toggl.com/api/v9/workspaces/4561855"
    activity = [{"user_id": 9, "duration": -1741698300, "description": f"Inbox{OSC} triage"}]
    with respx.mock:
        respx.get(f"{api}/users").mock(
            return_value=httpx.Response(200, json=[{"id": 9, "email": "ana@x.co"}])
        )
        respx.get(f"{api}/dashboard/all_activity").mock(
            return_value=httpx.Response(200, json=activity)
        )
        respx.post(
            "https://api.track.toggl.com/reports/api/v3/workspace/4561855/search/time_entries"
        ).mock(return_value=httpx.Response(200, json=[]))
        result = source.fetch({}, NOW)
    assert [e.task for e in result.entries] == ["Inbox triage"]


def test_a_harvest_project_name_with_an_osc_sequence_shows_no_leftovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FW_KEY", "k-1")
    source = HarvestSource("harvest", {"account": "1", "api_key_env": "FW_KEY"})
    row = {
        "id": 5,
        "spent_date": "2025-03-11",
        "user": {"id": 7, "name": "Jane"},
        "project": {"id": 1, "name": f"Task{OSC} Force"},
        "task": {"id": 2, "name": "\x1b[2JProgramming"},
        "notes": None,
        "hours": 1.5,
        "is_running": False,
    }
    with respx.mock:
        respx.get("https://api.harvestapp.com/v2/users").mock(
            return_value=httpx.Response(200, json={"users": [{"id": 7, "email": "j@x.co"}]})
        )
        respx.get("https://api.harvestapp.com/v2/time_entries").mock(
            return_value=httpx.Response(200, json={"time_entries": [row]})
        )
        result = source.fetch({}, NOW)
    assert [e.task for e in result.entries] == ["Task Force / Programming"]
