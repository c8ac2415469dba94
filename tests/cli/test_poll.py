"""``farwatch poll``: one line per source, exit codes, the writer lock, the loop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from farwatch.state.cache import Cache
from farwatch.state.config import load_settings

Run = Callable[..., Result]
MakeConfig = Callable[..., Path]

GOOD: dict[str, Any] = {
    "roster": [{"worker_id": "ana@example.com", "name": "Ana", "email": "ana@example.com"}],
    "checkins": [
        {"key": "m1", "who": "ana@example.com", "at": "2025-03-04T09:30:00+00:00", "subject": "hi"}
    ],
}
AUTH_FAIL = {"error": {"kind": "auth", "message": "login refused for owner@example.com"}}
HOSTILE_FAIL = {"error": {"kind": "server", "message": "bad\x1b[2J\x1b]0;pwned\x07 gateway"}}
OK_LINE = re.compile(r"^(\S+) +ok {6}(\d+) records \((\d+) new\) \d+\.\ds$")


def test_poll_once_prints_one_line_per_source_and_exits_0_if_any_succeeded(
    run: Run, make_config: MakeConfig
) -> None:
    path = make_config([("sheet", GOOD), ("imap", AUTH_FAIL)])
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    match = OK_LINE.match(first)
    assert match and match.groups() == ("sheet", "2", "2")
    assert second == "imap   FAILED  auth: login refused for owner@example.com"
    assert "Traceback" not in result.output


def test_second_poll_finds_nothing_new(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("sheet", GOOD)])
    run("poll", "--once", "--config", str(path))
    result = run("poll", "--once", "--config", str(path))
    match = OK_LINE.match(result.stdout.splitlines()[0])
    assert match and match.groups() == ("sheet", "2", "0")


def test_poll_once_persists_to_the_configured_cache(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("sheet", GOOD)])
    assert run("poll", "--once", "--config", str(path)).exit_code == 0
    cache = Cache.open(load_settings(path).cache.path, retention=1e9, writer=False)
    try:
        snap = cache.snapshot()
    finally:
        cache.close()
    assert [r.name for r in snap.roster["sheet"]] == ["Ana"]
    assert [c.key for c in snap.checkins["sheet"]] == ["m1"]


def test_poll_once_exits_1_when_every_source_failed(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("imap", AUTH_FAIL), ("gateway", HOSTILE_FAIL)])
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "imap     FAILED  auth: login refused for owner@example.com",
        "gateway  FAILED  server: bad gateway",  # escape sequences stripped
    ]


def test_poll_with_no_sources(run: Run, make_config: MakeConfig) -> None:
    path = make_config()
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"farwatch: no sources configured: add [[sources]] tables to {path} "
        "(farwatch init writes examples)\n"
    )


def test_missing_secret_is_reported_by_name_not_value(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("tracker", {**GOOD, "needs_token": True})])
    result = run("poll", "--once", "--config", str(path))
    assert result.exit_code == 1
    assert result.stdout == (
        "tracker  FAILED  auth: tracker: environment variable FAKE_TOKEN (from token_env) "
        "is not set\n"
    )
    result = run("poll", "--once", "--config", str(path), env={"FAKE_TOKEN": "t0ken-value"})
    assert result.exit_code == 0
    assert "t0ken" not in result.output


def test_second_writer_is_told_who_holds_the_cache(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("sheet", GOOD)])
    holder = Cache.open(
        load_settings(path).cache.path, retention=1e9, writer=True, command="farwatch poll"
    )
    try:
        result = run("poll", "--once", "--config", str(path))
    finally:
        holder.close()
    assert result.exit_code == 1
    cache_path = load_settings(path).cache.path
    assert re.fullmatch(
        rf"farwatch: cannot poll: the cache {re.escape(str(cache_path))} is being written by "
        rf"pid {os.getpid()} on \S+ \(farwatch poll\) since \d\d:\d\d; stop that process first, "
        r"or let it do the polling \(a dashboard can attach to its cache read-only\)\n",
        result.stderr,
    ), result.stderr
    assert result.stdout == ""


LOOP_SCRIPT = """
import signal
import sys
# Ctrl-C as at a terminal: a suite started in the background by a shell without
# job control hands its children SIGINT ignored, which Python then keeps.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {plugin!r})
import fw_fake_sources
fw_fake_sources.install_for_process()
from farwatch.cli.main import main
main(["poll", "--config", {config!r}], prog_name="farwatch")
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_loop_polls_then_stops_cleanly_on_signal(
    make_config: MakeConfig, sig: signal.Signals
) -> None:
    plugin = str(Path(__file__).parent / "plugin")
    path = make_config([("sheet", GOOD)])
    script = LOOP_SCRIPT.format(plugin=plugin, config=str(path))
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0].startswith("polling sheet into "), lines
        assert re.match(r"^\d\d:\d\d:\d\d  sheet  ok {6}2 records \(2 new\)", lines[1]), lines
        time.sleep(0.3)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "stopped"
    assert "Traceback" not in err
    # the cache it wrote is intact and readable
    cache = Cache.open(load_settings(path).cache.path, retention=1e9, writer=False)
    try:
        assert [r.name for r in cache.snapshot().roster["sheet"]] == ["Ana"]
    finally:
        cache.close()
