"""``farwatch status``: the JSON contract and the plain table, on a real cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

Run = Callable[..., Result]
MakeConfig = Callable[..., Path]

NOW = "2025-03-04T10:00:00Z"  # a Tuesday
TEAM: dict[str, Any] = {
    "roster": [
        {
            "worker_id": "ana@example.com",
            "name": "Ana Reyes",
            "email": "ana@example.com",
            "category": "VA",
            "timezone": "UTC",
            "hours": "09:00-17:00",
            "days": "Mon-Fri",
            "cap_hours": 10.0,
            "cap_period": "week",
            "task": "inbox zero",
        },
        {
            "worker_id": "bo@example.com",
            "name": "Bo\x1b]0;owned\x07 \u202eEvil",
            "email": "bo@example.com",
            "category": "KPO",
            "timezone": "Asia/Manila",
        },
    ],
    "checkins": [
        {
            "key": "m1",
            "who": "ANA@example.com",
            "at": "2025-03-04T09:30:00+00:00",
            "subject": "starting invoices",
            "task": "invoices",
        },
        {
            "key": "m2",
            "who": "stranger@elsewhere.org",
            "at": "2025-03-04T08:00:00+00:00",
            "subject": "hello?",
        },
    ],
    "entries": [
        {
            "key": "e1",
            "who": "ana@example.com",
            "start": "2025-03-03T08:00:00+00:00",
            "end": "2025-03-03T10:00:00+00:00",
            "task": "invoices",
        },
        {
            "key": "e2",
            "who": "ana@example.com",
            "start": "2025-03-04T09:00:00+00:00",
            "task": "invoices",
        },
    ],
}
WORKER_FIELDS = {
    "id": str,
    "name": str,
    "email": str,
    "category": str,
    "timezone": str,
    "local_time": str,
    "task": str,
    "running": bool,
    "paused": bool,
    "last_checkin": (str, type(None)),
    "checkin_age_seconds": (int, type(None)),
    "checkin_work_age_seconds": (int, type(None)),
    "checkin_level": str,
    "hours_used": (int, float),
    "cap_hours": (int, float, type(None)),
    "cap_period": str,
    "burn": (int, float, type(None)),
    "burn_level": str,
    "cap_eta": (str, type(None)),
    "checkins_total": int,
}
SOURCE_FIELDS = {
    "name",
    "type",
    "ok",
    "last_success",
    "last_error",
    "last_error_at",
    "consecutive_failures",
    "next_poll",
    "requests",
    "records",
    "unmatched",
}


@pytest.fixture
def team_config(run: Run, make_config: MakeConfig) -> Path:
    path = make_config([("team", TEAM)])
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 0, result.output
    return path


def status_json(run: Run, config: Path, *extra: str) -> dict[str, Any]:
    result = run("status", "--json", "--now", NOW, "--config", str(config), *extra)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_json_schema(run: Run, team_config: Path) -> None:
    doc = status_json(run, team_config)
    assert doc["version"] == 1
    assert doc["generated_at"] == NOW
    assert set(doc) == {"version", "generated_at", "summary", "workers", "sources"}
    assert len(doc["workers"]) == 2
    for worker in doc["workers"]:
        for field, kind in WORKER_FIELDS.items():
            assert isinstance(worker[field], kind), (field, worker[field])
    (source,) = doc["sources"]
    assert set(source) >= SOURCE_FIELDS


def test_json_values_for_a_worker(run: Run, team_config: Path) -> None:
    workers = {w["id"]: w for w in status_json(run, team_config)["workers"]}
    ana = workers["ana@example.com"]
    assert ana["name"] == "Ana Reyes"
    assert ana["local_time"] == "2025-03-04T10:00:00+00:00"
    assert ana["last_checkin"] == "2025-03-04T09:30:00Z"
    assert ana["checkin_age_seconds"] == 1800
    assert ana["checkin_work_age_seconds"] == 1800
    assert ana["checkin_level"] == "ok"
    assert ana["running"] is True and ana["paused"] is False
    assert ana["task"] == "invoices"
    assert ana["hours_used"] == 3.0  # 2 h on Monday + 1 h running since 09:00
    assert ana["cap_hours"] == 10.0 and ana["cap_period"] == "week"
    assert ana["burn"] == 0.3 and ana["burn_level"] == "ok"
    assert ana["checkins_total"] == 1


def test_json_worker_never_checked_in_without_cap(run: Run, team_config: Path) -> None:
    workers = {w["id"]: w for w in status_json(run, team_config)["workers"]}
    bo = workers["bo@example.com"]
    assert bo["last_checkin"] is None
    assert bo["checkin_age_seconds"] is None and bo["checkin_work_age_seconds"] is None
    assert bo["checkin_level"] in ("never", "off_hours")
    assert bo["cap_hours"] is None and bo["burn"] is None and bo["burn_level"] == "no_cap"
    assert bo["local_time"] == "2025-03-04T18:00:00+08:00"
    assert bo["name"] == "Bo Evil"  # escape sequence and bidi override removed


def test_json_sources_health_and_unmatched(run: Run, team_config: Path) -> None:
    (source,) = status_json(run, team_config)["sources"]
    assert source["name"] == "team" and source["type"] == "fakefile"
    assert source["ok"] is True
    assert source["last_success"] is not None and source["last_error"] is None
    assert source["consecutive_failures"] == 0
    assert source["records"] == 6  # 2 roster rows, 2 check-ins, 2 time entries
    assert source["unmatched"] == 1  # stranger@elsewhere.org


def test_now_changes_the_evaluation(run: Run, team_config: Path) -> None:
    later = run(
        "status", "--json", "--now", "2025-03-04T15:30:00+00:00", "--config", str(team_config)
    )
    ana = next(w for w in json.loads(later.stdout)["workers"] if w["id"] == "ana@example.com")
    assert ana["checkin_age_seconds"] == 6 * 3600
    assert ana["checkin_level"] == "alert"  # past the 4 h default
    assert json.loads(later.stdout)["generated_at"] == "2025-03-04T15:30:00Z"


def test_json_on_an_empty_cache(run: Run, make_config: MakeConfig) -> None:
    doc = status_json(run, make_config([("team", TEAM)]))
    assert doc["workers"] == []
    (source,) = doc["sources"]
    assert source["ok"] is False and source["last_success"] is None and source["records"] == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "'yesterday' is not an ISO 8601 time (e.g. 2025-03-03T09:30:00Z)"),
        ("", "'' is not an ISO 8601 time"),  # an empty $VAR in a script: not "now"
        ("2025-03-04T10:00:00", "'2025-03-04T10:00:00' has no timezone; add Z or an offset"),
        (
            "0001-01-01T00:00:00Z",
            "'0001-01-01T00:00:00Z' is outside the years 1900-2199 farwatch can compute with",
        ),
        ("9999-12-31T23:59:59+01:00", "'9999-12-31T23:59:59+01:00' is outside the years"),
    ],
)
def test_bad_now_is_a_usage_error(
    run: Run, make_config: MakeConfig, value: str, message: str
) -> None:
    result = run("status", "--now", value, "--config", str(make_config()))
    assert result.exit_code == 2
    assert "Invalid value for --now: " + message in result.stderr
    assert "Traceback" not in result.output


def test_plain_table(run: Run, team_config: Path) -> None:
    result = run("status", "--now", NOW, "--config", str(team_config))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(
        "2 workers, 0 stale, 0 over cap, 0 paused  (as of 2025-03-04 10:00 UTC)\n"
    )
    lines = out.splitlines()
    ana = next(line for line in lines if line.startswith("Ana Reyes"))
    assert ana.split() == [
        "Ana",
        "Reyes",
        "Tue",
        "10:00",
        "VA",
        "ok",
        "30m",
        "3.0/10h",
        "30%",
        "running",
        "invoices",
    ]
    assert any(line.startswith("Bo Evil") for line in lines)
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert any(line.split()[:3] == ["team", "fakefile", "ok"] for line in lines)


def test_a_success_after_a_past_now_is_shown_as_later_not_as_just_now(
    run: Run, team_config: Path
) -> None:
    result = run("status", "--now", "2020-01-01T00:00:00Z", "--config", str(team_config))
    line = next(x for x in result.stdout.splitlines() if x.startswith("team "))
    assert "later" in line.split() and "ago" not in line.split()


def test_the_plain_table_lines_up_cjk_emoji_and_combining_marks_by_display_width() -> None:
    from rich.cells import cell_len

    from farwatch.cli.status_table import table

    names = ["李雷", "Jose\u0301 Nu\u0301n\u0303ez", "Ana 👍", "Bo"]
    out = table(("NAME", "TASK"), [(n, "x") for n in names], width=80, flex=1).splitlines()
    columns = {cell_len(line[: line.rindex("x")]) for line in out[1:]}
    assert len(columns) == 1
    cut = table(("NAME", "TASK"), [("李雷李雷李雷", "日本語のタスク")], width=19, flex=1)
    assert [cell_len(line) for line in cut.splitlines()] == [18, 19]


def test_json_currency_is_null_when_the_roster_gives_none(run: Run, team_config: Path) -> None:
    """The README promises null for unknown values, never an empty string."""
    workers = status_json(run, team_config)["workers"]
    assert all(w["currency"] is None or w["currency"] != "" for w in workers)
    assert any(w["currency"] is None for w in workers)


def test_an_empty_table_says_why_once_the_sources_were_polled(
    run: Run, make_config: MakeConfig
) -> None:
    """After a poll, "run farwatch poll --once" would send the owner round in a circle."""
    empty = make_config([("roster", {"roster": []})], name="empty.toml")
    assert run("--config", str(empty), "poll", "--once").exit_code == 0
    result = run("--config", str(empty), "status")
    assert "No workers: the roster was read and has no rows (add a row per worker)." in (
        result.stdout
    )
    broken = make_config(
        [("roster", {"error": {"kind": "parse", "message": "the roster is empty"}})],
        name="broken.toml",
    )
    assert run("--config", str(broken), "poll", "--once").exit_code == 1
    result = run("--config", str(broken), "status")
    assert "No workers yet: roster failing (the reason is below)." in result.stdout
    assert "poll --once" not in result.stdout
