"""Nobody vanishes quietly: tracker users missing from the roster are named as the
tracker knows them, and a roster row with unreadable hours stays, with a warning.

The trackers answer from a real HTTP server on 127.0.0.1 with their documented
shapes: Clockify's detailed report rows carry ``userName`` (and the user
listing ``name``), Toggl's search rows ``username`` (the workspace user listing
``fullname``), Harvest's time entries ``user: {id, name}``. The poll runs in an
engine on a frozen clock; ``status`` and ``check`` then read what it saved.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import Result

from farwatch.state.clock import frozen_clock
from farwatch.state.config import load_settings
from farwatch.state.engine import Engine

Run = Callable[..., Result]
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
NOW_TEXT = "2025-03-04T12:00:00Z"
ROSTER = "name,email,timezone\nAna Reyes,ana@example.com,UTC\n"
Answer = Callable[[str, str, dict[str, list[str]]], Any]


class TrackerSite:
    """A loopback HTTP server answering JSON from ``answer(method, path, query)``."""

    def __init__(self, answer: Answer) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                url = urlsplit(self.path)
                site.paths.append(url.path)
                body = json.dumps(answer(self.command, url.path, parse_qs(url.query))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _reply

            def log_message(self, *_args: object) -> None:
                pass

        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def clockify(method: str, path: str, query: dict[str, list[str]]) -> Any:
    if path.endswith("/users"):
        return [{"id": "5a0ab5acb07987125438b601", "email": "ana@example.com", "name": "Ana R"}]
    if path.endswith("/time-entries/status/in-progress"):
        return []
    rows = [
        {
            "_id": f"67c5f0a1b2c3d4e5f6a7b00{n}",
            "description": "calls",
            "userId": uid,
            "userName": name,
            "userEmail": email,
            "timeInterval": {
                "start": "2025-03-04T09:00:00Z",
                "end": "2025-03-04T10:00:00Z",
                "duration": 3600,
            },
        }
        for n, (uid, name, email) in enumerate(
            [
                ("5a0ab5acb07987125438b601", "Ana R", "ana@example.com"),
                ("5a0ab5acb07987125438b6ff", "Diego Ruiz", "diego@example.org"),
            ]
        )
    ]
    return {"totals": [{"_id": "", "totalTime": 7200, "entriesCount": 2}], "timeEntries": rows}


def toggl(method: str, path: str, query: dict[str, list[str]]) -> Any:
    if path.endswith("/users"):
        return [{"id": 101, "email": "ana@example.com", "fullname": "Ana R"}]
    if path.endswith("/dashboard/all_activity"):
        return []
    return [
        {
            "user_id": uid,
            "username": name,
            "description": "calls",
            "project_id": None,
            "row_number": n + 1,
            "time_entries": [
                {
                    "id": 900 + n,
                    "seconds": 3600,
                    "start": "2025-03-04T09:00:00+00:00",
                    "stop": "2025-03-04T10:00:00+00:00",
                    "at": "2025-03-04T10:00:01+00:00",
                }
            ],
        }
        for n, (uid, name) in enumerate([(101, "Ana R"), (4711, "Diego Ruiz")])
    ]


def harvest(method: str, path: str, query: dict[str, list[str]]) -> Any:
    pages = {"per_page": 2000, "total_pages": 1, "page": 1, "links": {"next": None}}
    if path.endswith("/users"):
        ana = {"id": 1795925, "email": "ana@example.com", "first_name": "Ana", "last_name": "R"}
        return {"users": [ana], **pages}
    if query.get("is_running") == ["true"]:
        return {"time_entries": [], **pages}
    entries = [
        {
            "id": 662202790 + n,
            "spent_date": "2025-03-04",
            "user": {"id": uid, "name": name},
            "task": {"id": 8083366, "name": "Programming"},
            "notes": "calls",
            "hours": 1.0,
            "hours_without_timer": 1.0,
            "is_running": False,
            "timer_started_at": None,
        }
        for n, (uid, name) in enumerate([(1795925, "Ana R"), (2200001, "Diego Ruiz")])
    ]
    return {"time_entries": entries, **pages}


TRACKERS: dict[str, tuple[Answer, str, str]] = {
    "clockify": (
        clockify,
        'workspace = "w1"\nbase_url = "{base}/api/v1"\nreports_url = "{base}/reports"',
        "diego@example.org",
    ),
    "toggl": (
        toggl,
        'workspace = "7"\nbase_url = "{base}/api/v9"\nreports_url = "{base}/reports/api/v3"',
        "4711",
    ),
    "harvest": (harvest, 'account = "123"\nbase_url = "{base}/v2"', "2200001"),
}


@pytest.fixture(params=sorted(TRACKERS))
def tracker_config(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str]]:
    kind: str = request.param
    answer, options, diego = TRACKERS[kind]
    monkeypatch.setenv("FW_TRACKER_KEY", "tracker-key-0123456789")
    site = TrackerSite(answer)
    try:
        (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
        config = tmp_path / "config.toml"
        config.write_text(
            f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
            f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
            f'[[sources]]\ntype = "{kind}"\nname = "hours"\napi_key_env = "FW_TRACKER_KEY"\n'
            + options.format(base=site.base)
            + '\ntimeout = "5s"\n',
            encoding="utf-8",
        )
        engine = Engine(load_settings(config), clock=frozen_clock(NOW))
        engine.open()
        try:
            outcomes = engine.poll_all()
        finally:
            engine.close()
        assert all(o.ok for o in outcomes), [(o.name, o.error) for o in outcomes]
        yield config, diego
    finally:
        site.close()


def test_a_tracker_user_missing_from_the_roster_is_named_by_the_tracker(
    run: Run, tracker_config: tuple[Path, str]
) -> None:
    config, diego = tracker_config
    result = run("status", "--json", "--now", NOW_TEXT, "--config", str(config))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    hours = next(s for s in document["sources"] if s["name"] == "hours")
    (warning,) = [w for w in hours["warnings"] if w["kind"] == "unmatched"]
    assert warning["who"] == diego
    assert warning["text"].startswith(f"'Diego Ruiz' ({diego}) is not on the roster")
    assert hours["warnings_total"] >= 1 and hours["unmatched"] == 1
    (ana,) = document["workers"]
    assert ana["hours_used"] == 1.0  # Ana's own hour counts; Diego's is not hers

    plain = run("status", "--now", NOW_TEXT, "--config", str(config))
    line = next(x for x in plain.stdout.splitlines() if x.startswith("hours: "))
    assert line.startswith("hours: 1 unmatched — 'Diego Ruiz' (")


ROSTER_WITH_BAD_CELLS = (
    "name,email,timezone,hours,days\n"
    "Ana Reyes,ana@example.com,UTC,25:00-26:00,Mon-Fri\n"
    "Bo Lim,bo@example.com,UTC,09:00-17:00,funday\n"
    "Cy Park,cy@example.com,UTC,9-5pm,Mon-Fri\n"
    "Dee Cruz,dee@example.com,UTC,,\n"
)


def polled_local_team(run: Run, root: Path, roster: str, log: str = "") -> Path:
    """A roster CSV (and a time log, if given) polled once; the config's path."""
    (root / "roster.csv").write_text(roster, encoding="utf-8")
    text = f'[cache]\npath = "{root / "cache.json"}"\nretention = "3650d"\n'
    text += f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{root / "roster.csv"}"\n'
    if log:
        (root / "log.csv").write_text(log, encoding="utf-8")
        text += f'[[sources]]\ntype = "timesheet"\nname = "log"\npath = "{root / "log.csv"}"\n'
    config = root / "config.toml"
    config.write_text(text, encoding="utf-8")
    result = run("poll", "--once", "--config", str(config))
    assert result.exit_code == 0, result.output
    return config


@pytest.fixture
def bad_cells_config(tmp_path: Path, run: Run) -> Path:
    return polled_local_team(run, tmp_path, ROSTER_WITH_BAD_CELLS)


def test_unreadable_working_hours_keep_the_worker_and_warn(
    run: Run, bad_cells_config: Path
) -> None:
    result = run("status", "--json", "--now", NOW_TEXT, "--config", str(bad_cells_config))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    names = [w["name"] for w in document["workers"]]
    assert names == ["Ana Reyes", "Bo Lim", "Cy Park", "Dee Cruz"]
    # Tuesday 12:00 UTC is inside the default 09:00-17:00 Mon-Fri they are judged by
    assert [w["working_now"] for w in document["workers"][:2]] == [True, True]
    (roster,) = document["sources"]
    texts = [w["text"] for w in roster["warnings"]]
    assert (
        "row 'Ana Reyes' (ana-reyes): hours '25:00-26:00' cannot be read "
        "('25:00' is not a time of day); the worker is shown with the default hours '09:00-17:00'"
    ) in texts
    assert any(t.startswith("row 'Bo Lim' (bo-lim): days 'funday' cannot be read") for t in texts)
    assert "row 'Cy Park' (cy-park): hours '9-5pm' read as 09:00-17:00" in texts
    assert roster["warnings_total"] == 3

    plain = run("status", "--now", NOW_TEXT, "--config", str(bad_cells_config))
    assert plain.stdout.startswith("4 workers")
    assert "roster: 2 bad cells, 1 note — row 'Ana Reyes' (ana-reyes): hours '25:00-26:00'" in (
        plain.stdout
    )

    check = run("check", "--config", str(bad_cells_config))
    warned = [x.strip() for x in check.stdout.splitlines() if x.strip().startswith("warning: ")]
    assert any("row 'Bo Lim' (bo-lim): days 'funday'" in x for x in warned)


def test_a_currency_that_is_no_iso_code_is_a_warning_and_marked_in_pay(
    run: Run, tmp_path: Path
) -> None:
    config = polled_local_team(
        run,
        tmp_path,
        "name,email,timezone,rate,currency\n"
        "Dee Cruz,dee@example.com,UTC,5,PESO\n"
        "Eli Ramos,eli@example.com,UTC,5,PHP\n",
        "worker,start,end,task\n"
        "dee@example.com,2025-03-04T09:00:00Z,2025-03-04T11:00:00Z,calls\n"
        "eli@example.com,2025-03-04T09:00:00Z,2025-03-04T10:00:00Z,calls\n",
    )
    status = json.loads(run("status", "--json", "--now", NOW_TEXT, "--config", str(config)).stdout)
    roster = next(s for s in status["sources"] if s["name"] == "roster")
    assert [w["text"] for w in roster["warnings"]] == [
        "row 'Dee Cruz' (dee-cruz): currency 'PESO' is not a 3-letter ISO 4217 code; "
        "amounts in it are shown as written, marked '?', and never added to another currency"
    ]
    table = run("pay", "--now", NOW_TEXT, "--config", str(config)).stdout
    dee = next(line for line in table.splitlines() if line.startswith("Dee Cruz"))
    assert "10.00 PESO?" in dee  # 2 h at 5 an hour, as written and marked
    assert "₱5.00" in next(line for line in table.splitlines() if line.startswith("Eli Ramos"))
