"""A cache of the right shape but wrong field types: the bad documents go, the rest stays."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

Run = Callable[..., Result]
NOW = "2025-03-04T12:00:00Z"
ROSTER = "name,email,cap_hours\nAna Reyes,ana@example.com,10\nBo Lim,bo@example.com,\n"
LOG = "worker,start,end\nana@example.com,2025-03-04T09:00:00Z,2025-03-04T10:00:00Z\n"


@pytest.fixture
def config(tmp_path: Path, run: Run) -> Path:
    for name, text in {"roster.csv": ROSTER, "log.csv": LOG}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        os.utime(tmp_path / name, (1_700_000_000, 1_700_000_000))
    path = tmp_path / "config.toml"
    path.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "log"\npath = "{tmp_path / "log.csv"}"\n',
        encoding="utf-8",
    )
    assert run("poll", "--once", "--config", str(path)).exit_code == 0
    return path


def tamper(cache: Path, table: str, match: Callable[[dict[str, Any]], bool], **fields: Any) -> None:
    data = json.loads(cache.read_text(encoding="utf-8"))
    for doc in data[table].values():
        if match(doc):
            doc.update(fields)
    cache.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("table", "fields", "named"),
    [
        ("roster", {"name": 42}, "name is int, not text"),
        ("roster", {"cap_hours": "10"}, "cap_hours is str, not a number"),
        ("entries", {"who": None}, "who is null, not text"),
        ("entries", {"start": "0001-01-01T00:00:00+01:00"}, "outside the years"),
        ("health", {"consecutive_failures": "x"}, "consecutive_failures is str"),
    ],
)
def test_a_wrong_typed_document_is_dropped_named_and_read_again(
    run: Run, config: Path, table: str, fields: dict[str, Any], named: str
) -> None:
    cache = config.parent / "cache.json"
    tamper(
        cache, table, lambda d: d.get("name") == "Ana Reyes" or "who" in d or "type" in d, **fields
    )

    shown = run("status", "--json", "--now", NOW, "--config", str(config))
    assert shown.exit_code == 0 and "Traceback" not in shown.output
    assert "unusable record" in shown.stderr and named in shown.stderr
    names = [w["name"] for w in json.loads(shown.stdout)["workers"]]
    assert "Bo Lim" in names

    polled = run("poll", "--once", "--config", str(config))  # files unchanged since
    assert polled.exit_code == 0, polled.output
    again = run("status", "--json", "--now", NOW, "--config", str(config))
    assert again.stderr == ""
    doc = json.loads(again.stdout)
    ana = next(w for w in doc["workers"] if w["name"] == "Ana Reyes")
    assert (ana["cap_hours"], ana["hours_used"]) == (10.0, 1.0)


def test_a_wrong_top_level_shape_is_moved_aside(run: Run, config: Path) -> None:
    cache = config.parent / "cache.json"
    cache.write_text('{"roster": [1, 2, 3]}', encoding="utf-8")
    result = run("poll", "--once", "--config", str(config))
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert list(config.parent.glob("cache.json.corrupt-*"))
    shown = run("status", "--json", "--now", NOW, "--config", str(config))
    assert len(json.loads(shown.stdout)["workers"]) == 2


def test_a_full_disk_while_saving_is_one_farwatch_line_and_the_old_cache_stays(
    config: Path,
) -> None:
    cache = config.parent / "cache.json"
    before = cache.read_bytes()
    (config.parent / "roster.csv").write_text(ROSTER + "Cy Park,cy@example.com,\n" * 200)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) - 1, len(before) - 1))

    proc = subprocess.run(
        [sys.executable, "-m", "farwatch.cli.main", "poll", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("farwatch: cannot write cache ")
    assert cache.read_bytes() == before
