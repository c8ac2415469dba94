"""``--help`` and ``status`` start quickly: with only local sources they never
import the network, nudge or dashboard libraries.

Each command runs in-process in a fresh interpreter (this test process has
imported everything already), which then reports its ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("apprise", "httpx", "textual")

RUN_AND_LIST_MODULES = """
import json, sys
from farwatch.cli.main import main
try:
    main(sys.argv[1:], prog_name="farwatch")
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""


@pytest.fixture
def local_config(tmp_path: Path) -> Path:
    """A team with only local sources: a roster CSV, a Maildir and a time log."""
    (tmp_path / "roster.csv").write_text(
        "worker_id,name,email\nana,Ana,ana@example.com\n", encoding="utf-8"
    )
    for folder in ("cur", "new", "tmp"):
        (tmp_path / "mail" / folder).mkdir(parents=True)
    (tmp_path / "mail" / "new" / "1.eml").write_text(
        "From: ana@example.com\nSubject: invoices\nDate: Mon, 03 Mar 2025 09:00:00 +0000\n"
        "Message-ID: <1@example.com>\n\nstarted the invoices\n",
        encoding="utf-8",
    )
    (tmp_path / "log.csv").write_text(
        "worker,start,end,task\nana@example.com,2025-03-03T08:00:00Z,,Invoices\n",
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "maildir"\nname = "mail"\npath = "{tmp_path / "mail"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "log"\npath = "{tmp_path / "log.csv"}"\n',
        encoding="utf-8",
    )
    return config


def poll_once(config: Path) -> None:
    """Fill the cache from the sources of ``config``, as ``farwatch poll --once`` does."""
    polled = subprocess.run(
        [sys.executable, "-m", "farwatch.cli.main", "poll", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert polled.returncode == 0, polled.stderr


def modules_after(*args: str, script: str = RUN_AND_LIST_MODULES) -> tuple[str, set[str]]:
    """Run ``farwatch ARGS`` in a fresh interpreter; its stdout and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out, _, listed = done.stdout.rpartition("\nMODULES ")
    return out, set(json.loads(listed))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_help_imports_no_command(local_config: Path) -> None:
    out, modules = modules_after("--help")
    assert "status" in out and "ping" in out  # every command is still listed
    assert heavy(modules) == []
    assert "farwatch.cli.actions_cmd" not in modules


def test_status_with_local_sources_imports_no_network_or_ui(local_config: Path) -> None:
    poll_once(local_config)
    for args in (["status"], ["status", "--json"]):
        out, modules = modules_after(
            *args, "--config", str(local_config), "--now", "2025-03-03T12:00:00Z"
        )
        assert "Ana" in out  # the command did its work
        assert heavy(modules) == []


def test_help_summaries_match_the_commands() -> None:
    """The summaries ``--help`` shows without importing are each command's own."""
    import click

    from farwatch.cli.main import COMMANDS, SUMMARIES, main

    ctx = click.Context(main)
    assert SUMMARIES.keys() == COMMANDS.keys()  # a new command needs its line too
    for name, summary in SUMMARIES.items():
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=10_000) == summary


FIRST_FRAME_AND_LIST_MODULES = """
import asyncio, gc, json, sys
import farwatch.tui.app as dashboard
from farwatch.cli.main import main

def first_frame(engine):
    async def run():
        app = dashboard.build_app(engine, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            print("ROWS", len(app.statuses), "COLLECTING", gc.isenabled())
            print("\\nMODULES " + json.dumps(sorted(sys.modules)))
    asyncio.run(run())

dashboard.run_dashboard = first_frame
try:
    main(sys.argv[1:], prog_name="farwatch")
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
"""

LATER = (
    "farwatch.actions",  # nudges, pauses, statements: only when the owner acts
    "farwatch.state.pay",  # the header's pay line comes after the first frame
    "farwatch.state.pay_report",
    "farwatch.state.digest",
    "farwatch.tui.screens.detail",
    "farwatch.tui.screens.pay",
    "farwatch.tui.screens.compose",
    "farwatch.sources.imap",
    "farwatch.sources.clockify",
    "farwatch.sources.toggl",
    "farwatch.sources.harvest",
    "farwatch.sources.http",
    "babel",
    "apprise",
    "httpx",
)


def test_dashboard_first_frame_imports_only_what_it_shows(local_config: Path) -> None:
    """What later screens, nudges, pay and network sources need loads after the
    first frame, so the owner does not wait for it at start-up."""
    poll_once(local_config)
    out, modules = modules_after("--config", str(local_config), script=FIRST_FRAME_AND_LIST_MODULES)
    assert "ROWS 1 COLLECTING True" in out  # the team shown, the collector back on
    loaded = sorted(m for m in modules if m.startswith(LATER))
    assert loaded == []
