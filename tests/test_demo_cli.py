"""``farwatch demo`` from the command line: the dashboard opens on the demo team.

The dashboard runs headless (Textual's ``run_test``) in place of the terminal
one; everything else — the folder, the files, the engine, the first poll, the
simulator — is the real command's.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from farwatch.cli.main import main
from farwatch.demo import simulator
from farwatch.state.config import load_settings
from farwatch.tui import app as tui_app

NAMES = ("Maria Santos", "Chinedu Okafor", "Oksana Kovalenko", "Priya Raghavan", "Fernanda Costa")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["demo", *args], catch_exceptions=False)


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the demo's temporary folder is created, so the test can look at it."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_demo_opens_the_dashboard_on_the_team_and_it_moves(
    temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator, "FIRST_DELAY", 0.05)
    seen: dict[str, Any] = {}

    def headless_dashboard(engine: Any) -> None:
        async def drive() -> None:
            app = tui_app.build_app(engine)
            async with app.run_test(size=(140, 36)) as pilot:
                await pilot.pause()
                seen["first"] = screen_text(app)
                seen["folders"] = list(temp_root.iterdir())
                # The simulator delivers a new email; a poll shows it on screen.
                deadline = time.monotonic() + 5
                while "just now" not in screen_text(app) and time.monotonic() < deadline:
                    await pilot.press("u")
                    await pilot.pause(0.2)
                seen["after"] = screen_text(app)
                await pilot.press("q")

        asyncio.run(drive())

    monkeypatch.setattr(tui_app, "run_dashboard", headless_dashboard)
    result = run("--seed", "7")
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert name in seen["first"]
    assert "12 workers" in seen["first"]
    assert "never" in seen["first"]
    assert "just now" not in seen["first"]
    assert "just now" in seen["after"]
    assert len(seen["folders"]) == 1 and seen["folders"][0].name.startswith("farwatch-demo-")
    assert list(temp_root.iterdir()) == []  # the temporary folder is gone afterwards


def test_keep_leaves_the_folder_and_says_where(
    temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui_app, "run_dashboard", lambda engine: None)
    result = run("--keep", "--no-simulate")
    assert result.exit_code == 0, result.output
    (folder,) = temp_root.iterdir()
    assert f"demo files kept in {folder}" in result.output
    assert (folder / "cache.json").exists() and (folder / "Maildir" / "cur").is_dir()


def test_print_config_writes_a_config_that_loads(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run("--print-config", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "[[sources]]" in result.output
    assert f"farwatch --config {folder / 'farwatch.toml'}" in result.output
    settings = load_settings(folder / "farwatch.toml")
    assert [(s.name, s.type) for s in settings.sources] == [
        ("roster", "sheet"),
        ("checkins", "maildir"),
        ("timelog", "timesheet"),
    ]
    assert settings.cache.path == folder / "cache.json"
    assert settings.audit_file == folder / "audit.jsonl"
    assert all(s.interval <= 30 for s in settings.sources)


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_config_option_is_refused_with_the_right_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--config", str(tmp_path / "mine.toml")])
    assert result.exit_code == 1
    assert f"farwatch --config {tmp_path / 'mine.toml'}" in result.output
    assert list(tmp_path.iterdir()) == []
