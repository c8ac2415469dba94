"""The status report and plain table as pure functions (no cache, no CLI)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from farwatch.cli.status_table import age, render
from farwatch.state.report import REPORT_VERSION, iso_utc, status_report
from farwatch.state.snapshot import SourceHealth
from farwatch.state.status import WorkerStatus

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
BASE = WorkerStatus(
    id="w1",
    name="Ana",
    email="ana@example.com",
    category="VA",
    timezone="Asia/Manila",
    local_time=NOW.astimezone(timezone(timedelta(hours=8))),
    task="invoices",
    task_source="checkin",
    running=False,
    paused=False,
    working_now=True,
    last_checkin=NOW - timedelta(hours=3),
    last_checkin_subject="update",
    checkin_age=3 * 3600.4,
    checkin_work_age=2 * 3600.7,
    checkin_level="warn",
    hours_used=41.23456,
    cap_hours=40.0,
    cap_period="week",
    period_start=None,
    burn=1.0308641,
    burn_level="over",
    cap_eta=None,
    checkins_total=7,
)


def test_iso_utc() -> None:
    assert iso_utc(None) is None
    assert iso_utc(datetime(2025, 3, 4, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))) == (
        "2025-03-04T10:00:00Z"
    )


def test_report_rounds_and_counts() -> None:
    paused = replace(BASE, id="w2", paused=True, burn_level="ok", burn=0.1, checkin_level="ok")
    doc = status_report([BASE, paused], [SourceHealth("mail", "imap")], {"mail": 4}, NOW)
    assert doc["version"] == REPORT_VERSION == 1
    assert doc["summary"] == {"workers": 2, "stale": 1, "over_cap": 1, "paused": 1, "running": 0}
    w = doc["workers"][0]
    assert (w["checkin_age_seconds"], w["checkin_work_age_seconds"]) == (10801, 7201)
    assert (w["hours_used"], w["burn"]) == (41.23, 1.0309)
    assert w["local_time"] == "2025-03-04T18:00:00+08:00"
    assert doc["sources"] == [
        {
            "name": "mail",
            "type": "imap",
            "ok": False,
            "last_success": None,
            "last_attempt": None,
            "last_error": None,
            "last_error_title": None,
            "last_error_kind": None,
            "last_error_at": None,
            "consecutive_failures": 0,
            "next_poll": None,
            "requests": 0,
            "records": 0,
            "last_records": 0,
            "unmatched": 4,
            "unmatched_who": [],
            "warnings": [],
            "warnings_total": 0,
        }
    ]
    json.dumps(doc)  # everything in it is JSON-serialisable


def test_report_strips_hostile_text() -> None:
    evil = replace(
        BASE, name="\x1b]0;x\x07Eve", task="[red]\u202efix\x1b[2J", last_checkin_subject="a\rb"
    )
    (w,) = status_report([evil], [], {}, NOW)["workers"]
    assert (w["name"], w["task"], w["last_checkin_subject"]) == ("Eve", "[red]fix", "a b")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3660, "1h01m"),
        (90000, "1d01h"),
        (-5, "0s"),
    ],
)
def test_age(seconds: float | None, text: str) -> None:
    assert age(seconds) == text


def test_table_fits_a_narrow_terminal() -> None:
    long_task = replace(BASE, task="x" * 200)
    out = render([long_task], [], {}, NOW, width=80)
    worker_lines = [line for line in out.splitlines() if line.startswith("Ana")]
    assert worker_lines and all(len(line) <= 80 for line in worker_lines)
    assert worker_lines[0].endswith("…")
    assert "41.2/40h 103% OVER CAP" in worker_lines[0]
    assert " LATE " in worker_lines[0]
