"""Bad rows, unmatched names and overlaps are seen wherever a source's health is shown."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]
NOW = "2025-03-04T12:00:00Z"
ROSTER = (
    "name,email,timezone,cap_hours\n"
    "Ana Reyes,ana@example.com,Asia/Manila,10\n"
    "Bo Lim,bo@example.com,UTC,\n"
    "Cy Park,cy@example.com,Asia/Manilla,\n"
)
LOG = (
    "worker,start,end,task\n"
    "ana@example.com,2025-03-04T09:00:00Z,2025-03-04T10:00:00Z,invoices\n"
    "Diego Ruiz,2025-03-04T09:00:00Z,2025-03-04T10:00:00Z,calls\n"
    "ana@example.com,0001-01-01T00:00:00+01:00,,broken clock\n"
)
EXPORT = "worker,start,end,task\nana@example.com,2025-03-04T09:00:00Z,2025-03-04T10:00:00Z,again\n"


@pytest.fixture
def config(tmp_path: Path, run: Run) -> Path:
    files = {"roster.csv": ROSTER, "log.csv": LOG, "export.csv": EXPORT}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        os.utime(tmp_path / name, (1_700_000_000, 1_700_000_000))
    path = tmp_path / "config.toml"
    path.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "log"\npath = "{tmp_path / "log.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "export"\npath = "{tmp_path / "export.csv"}"\n',
        encoding="utf-8",
    )
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_status_prints_each_sources_warnings_under_the_table(run: Run, config: Path) -> None:
    result = run("status", "--now", NOW, "--config", str(config))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert result.stdout.startswith("2 workers")
    assert (
        "roster: 1 row skipped — line 4: timezone 'Asia/Manilla' unknown "
        "(did you mean Asia/Manila?); row skipped"
    ) in lines
    log = next(line for line in lines if line.startswith("log: "))
    assert log.startswith("log: 1 row skipped, 1 unmatched — line 4: start")
    assert "  'Diego Ruiz' matches nobody on the roster" in result.stdout
    assert any(
        line.startswith("export: 1 overlap — ana@example.com: export entry") for line in lines
    )


def test_status_json_has_warnings_and_unmatched_who_per_source(run: Run, config: Path) -> None:
    result = run("status", "--json", "--now", NOW, "--config", str(config))
    assert result.exit_code == 0, result.output
    sources = {s["name"]: s for s in json.loads(result.stdout)["sources"]}
    assert [w["kind"] for w in sources["roster"]["warnings"]] == ["skipped"]
    assert sources["log"]["unmatched_who"] == ["Diego Ruiz"]
    unmatched = [w for w in sources["log"]["warnings"] if w["kind"] == "unmatched"]
    assert [w["who"] for w in unmatched] == ["Diego Ruiz"]
    (overlap,) = sources["export"]["warnings"]
    assert overlap["kind"] == "overlap" and "log entry" in overlap["text"]
    ana = next(w for w in json.loads(result.stdout)["workers"] if w["name"] == "Ana Reyes")
    assert ana["hours_used"] == 1.0  # the same hour in two logs counts once


def test_check_prints_every_warning_on_its_own_line(run: Run, config: Path) -> None:
    result = run("check", "--config", str(config))
    lines = result.stdout.splitlines()
    assert any(
        line.strip() == "warning: line 4: timezone 'Asia/Manilla' unknown "
        "(did you mean Asia/Manila?); row skipped"
        for line in lines
    )
    assert sum(1 for line in lines if line.strip().startswith("warning: line 4: start")) == 1
