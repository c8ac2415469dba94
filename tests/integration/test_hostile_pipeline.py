"""Hostile text through the whole pipeline: local files → poll → cache → status → JSON,
the plain table and the dashboard.

A roster with markup and escapes in names and tasks, a Maildir of check-ins
with escape sequences, bidi overrides, zero-width characters, a 1 MB subject,
unknown charsets and broken MIME, and a time log with NULs and a mismatched
quote. Nothing may crash, every string must be shown literally (minus control
characters), no ESC may reach the terminal, and bad rows say why they were
skipped.
"""

from __future__ import annotations

import asyncio
import json
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from farwatch.state.config import load_settings
from farwatch.state.engine import Engine
from farwatch.tui.app import build_app
from farwatch.tui.screens.detail import DetailScreen
from farwatch.tui.screens.main import MainScreen
from farwatch.tui.widgets.worker_table import WorkerTable

CLICK = "[@click=app.quit]Mallory[/]"
BOLD = "[bold red]Alarm[/bold red] [/]"
OSC = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
RLO, ZWSP = "\u202e", "\u200b"
FORBIDDEN = ("\x1b", "\x07", "\x9b", RLO, ZWSP, "\x00")

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
"""A Wednesday noon: the weekly cap's figures never depend on the day the suite runs."""

ROSTER = (
    "id,name,email,task,timezone,hours,days,cap_hours\n"
    f'mal,{CLICK},mal@example.com,"{BOLD}",UTC,00:00-23:59,daily,40\n'
    f"eve,Eve{RLO}gpj.exe{ZWSP},eve@example.com,Reports {CLEAR}done,UTC,00:00-23:59,daily,10\n"
    "ann,Ann Lee,ann@example.com,Plain work,UTC,00:00-23:59,daily,20\n"
    '"bad,Unclosed Quote,bad@example.com,x,UTC\n'
)

TIMESHEET = (
    "worker,start,end,task\n"
    f"mal@example.com,{(NOW - timedelta(hours=3)).isoformat()},"
    f"{(NOW - timedelta(hours=1)).isoformat()},[@click=app.bell]Ledger[/] {OSC}\n"
    f"ann@example.com,{(NOW - timedelta(hours=2)).isoformat()},,Nul\x00 task\n"
    "eve@example.com,not-a-time,,broken row\n"
    'ann@example.com,"2025-01-01T09:00:00Z,,mismatched quote\n'
)


def raw_mail(
    headers: dict[str, str], body: str, *, ctype: str = "text/plain; charset=utf-8"
) -> bytes:
    lines = [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Type: {ctype}", "", body]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


def deliver(box: mailbox.Maildir, raw: bytes, at: datetime) -> None:
    msg = mailbox.MaildirMessage(raw)
    msg.set_date(at.timestamp())
    box.add(msg)


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """Files of a hostile team and a config pointing at them; returns the config."""
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "timesheet.csv").write_bytes(TIMESHEET.encode("utf-8"))
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    date = NOW.strftime("%a, %d %b %Y %H:%M:%S +0000")
    deliver(
        box,
        raw_mail(
            {
                "From": "mal@example.com",
                "Subject": f"{CLEAR}[@click=app.quit]Click me[/] {OSC}{RLO}evil{ZWSP}",
                "Message-ID": "<m1@x>",
                "Date": date,
            },
            f"{OSC}First line [b]bold?[/b]\r\n",
        ),
        NOW - timedelta(hours=2),
    )
    deliver(
        box,
        raw_mail(
            {"From": "eve@example.com", "Subject": "S" * (1024 * 1024), "Message-ID": "<m2@x>"},
            "huge subject\r\n",
        ),
        NOW - timedelta(hours=1, minutes=50),
    )
    deliver(  # an encoded word in a charset nobody knows, and a body in it too
        box,
        raw_mail(
            {
                "From": "ann@example.com",
                "Subject": "=?x-klingon?q?Qapla=FF?= status",
                "Message-ID": "<m3@x>",
            },
            "\xff\xfe body",
            ctype="text/plain; charset=x-klingon",
        ),
        NOW - timedelta(hours=1, minutes=40),
    )
    deliver(  # multipart that never closes its boundary, with no boundary declared
        box,
        raw_mail(
            {"From": "ann@example.com", "Subject": "Broken MIME", "Message-ID": "<m4@x>"},
            "--zzz\r\nContent-Type: text/plain\r\n\r\nstill here\r\n",
            ctype="multipart/mixed",
        ),
        NOW - timedelta(hours=1, minutes=30),
    )
    deliver(  # no sender at all: counted and reported, never a crash
        box, b"Subject: who am I\r\n\r\nnobody\r\n", NOW - timedelta(minutes=20)
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n\n'
        f'[[sources]]\ntype = "maildir"\nname = "mail"\npath = "{tmp_path / "Maildir"}"\n\n'
        f'[[sources]]\ntype = "timesheet"\nname = "hours"\npath = "{tmp_path / "timesheet.csv"}"\n',
        encoding="utf-8",
    )
    return config


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(
        main, [*args, "--config", str(config)], env={"COLUMNS": "400"}, catch_exceptions=False
    )
    return result


def assert_clean(text: str) -> None:
    for ch in FORBIDDEN:
        assert ch not in text, f"{ch!r} reached the output"
    # whole sequences go, not just their ESC/BEL bytes
    assert "pwned" not in text and "[2J" not in text, "an escape sequence left visible text"


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_hostile_files_are_polled_stored_and_reported_literally(team: Path) -> None:
    polled = cli(team, "poll", "--once")
    assert polled.exit_code == 0, polled.output
    out = polled.output
    assert_clean(out)
    assert "roster  ok" in out and "mail    ok" in out and "hours   ok" in out
    # every rejection says why
    assert "warning: line 5: a quote is never closed; row skipped" in out
    assert "warning: line 4: start 'not-a-time' is not an ISO 8601 date-time; row skipped" in out
    assert out.count("warning: line 5: a quote is never closed; row skipped") == 2  # roster, log
    assert "1 message in" in out and "had no sender address and was skipped" in out

    document = cli(team, "status", "--json", "--now", NOW.isoformat())
    assert document.exit_code == 0, document.output
    data = json.loads(document.output)
    for text in strings(data):
        assert_clean(text)
    workers = {w["id"]: w for w in data["workers"]}
    assert set(workers) == {"mal", "eve", "ann"}
    mal, eve = workers["mal"], workers["eve"]
    assert mal["name"] == CLICK
    assert mal["last_checkin_subject"] == "[@click=app.quit]Click me[/] evil"
    assert mal["hours_used"] == 2.0
    assert eve["name"] == "Evegpj.exe"
    assert (
        eve["last_checkin_subject"].startswith("SSSS") and len(eve["last_checkin_subject"]) < 20000
    )
    assert workers["ann"]["last_checkin_subject"] == "Broken MIME"
    assert workers["ann"]["running"] is True
    assert "\ufffd" not in workers["ann"]["task"] and "Nul" in workers["ann"]["task"]
    assert document.output.count("\\u001b") == 0  # not even escaped into the JSON

    table = cli(team, "status", "--now", NOW.isoformat())
    assert table.exit_code == 0, table.output
    assert_clean(table.output)
    assert CLICK in table.output and "[@click=app.quit]Click me[/] evil" in table.output
    assert "Evegpj.exe" in table.output and "Ann Lee" in table.output


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.mark.anyio
async def test_hostile_team_on_the_dashboard_is_literal_and_clicks_do_nothing(team: Path) -> None:
    assert cli(team, "poll", "--once").exit_code == 0
    engine = Engine(load_settings(team))
    engine.open()
    try:
        app = build_app(engine, clock=lambda: NOW, live=False, display_zone=UTC)
        async with app.run_test(size=(200, 40)) as pilot:
            table = app.screen.query_one(WorkerTable)
            for _ in range(50):
                if table.row_count == 3:
                    break
                await asyncio.sleep(0.02)
            assert table.row_count == 3
            assert table.get_cell("mal", "name").plain == CLICK
            assert table.get_cell("eve", "name").plain == "Evegpj.exe"
            text = screen_text(app)
            assert_clean(text)
            assert "[@click=app.qui" in text  # the name column is narrow: cut, not parsed
            assert "[@click=app.quit]Click me[/] evil" in text
            assert "Evegpj.exe" in text
            for row in range(table.row_count):
                for x in (6, 40, 80):
                    await pilot.click(table, offset=(x, row + 1))
                    await pilot.pause()
                    assert app.is_running  # [@click=app.quit] did not run
                    if not isinstance(app.screen, MainScreen):  # a click opens the detail
                        assert isinstance(app.screen, DetailScreen)
                        await pilot.press("escape")
            app.open_detail("mal")
            await pilot.pause()
            text = screen_text(app)
            assert_clean(text)
            assert "[@click=app.quit]Click me[/]" in text
            assert "First line [b]bold?[/b]" in text
            assert "[@click=app.bell]Ledger[/]" in text
            for y in range(0, 30, 5):
                await pilot.click(offset=(10, y))
            await pilot.pause()
            assert app.is_running
            await pilot.press("escape")
            app.open_detail("eve")
            await pilot.pause()
            assert_clean(screen_text(app))
            assert "SSSS" in screen_text(app)
            assert app.is_running
    finally:
        engine.close()
