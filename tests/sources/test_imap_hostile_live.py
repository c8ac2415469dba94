"""A hostile IMAP server over time: a trickle cannot hold farwatch, IDLE cannot storm it.

Against ``ScriptedImap`` on 127.0.0.1: a server that answers one byte every
half second (each read is quick, so no read timeout ever fires), and servers
that repeat the unchanged EXISTS count as each IDLE starts or drop every IDLE.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.imap import ImapSource
from tests.servers.imap import PASSWORD, ScriptedImap

NOW = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)
MAIL = "From: ana@example.com\r\nSubject: Check-in\r\nMessage-ID: <{n}@x>\r\n\r\nOn it.\r\n"


def wait_until(condition: object, limit: float = 20.0) -> None:
    """Wait for the server to reach a state (a bound for a broken run, not a measurement)."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert condition(), "the server never got there"  # type: ignore[operator]


def examined(server: ScriptedImap) -> bool:
    return any(b"EXAMINE" in c for c in server.commands)


def test_closing_a_source_abandons_a_poll_stuck_on_a_trickling_server(
    scripted_imap: ScriptedImap,
) -> None:
    scripted_imap.add(MAIL.format(n=1))
    scripted_imap.trickle = 0.5  # after LOGIN: one byte every 0.5 s, for ever
    src = ImapSource("mail", scripted_imap.source_options())
    errors: list[SourceError] = []

    def poll() -> None:
        try:
            src.fetch({}, NOW)
        except SourceError as exc:
            errors.append(exc)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    wait_until(lambda: examined(scripted_imap))
    closer = threading.Thread(target=src.close, daemon=True)
    closer.start()
    closer.join(20)
    poller.join(20)
    assert not closer.is_alive(), "close() waited on the busy connection (a LOGOUT)"
    assert not poller.is_alive(), "the abandoned poll kept running"
    assert [e.kind for e in errors] == ["io"]
    assert not any(b"LOGOUT" in c for c in scripted_imap.commands)


POLL_SCRIPT = """
import sys
from farwatch.cli.main import main
sys.argv = ["farwatch", "poll", "--config", {config!r}]
main()
"""


def test_sigterm_stops_the_poll_daemon_while_a_server_trickles(
    scripted_imap: ScriptedImap, tmp_path: Path
) -> None:
    scripted_imap.add(MAIL.format(n=1))
    scripted_imap.trickle = 0.5
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n\n[[sources]]\ntype = "imap"\n'
        f'name = "mail"\nhost = "127.0.0.1"\nport = {scripted_imap.port}\n'
        f'username = "{scripted_imap.user}"\npassword_env = "FW_TRICKLE_PW"\ntls = "none"\n',
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", POLL_SCRIPT.format(config=str(config))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "FW_TRICKLE_PW": PASSWORD},
    )
    try:
        wait_until(lambda: examined(scripted_imap))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail("farwatch poll did not exit on SIGTERM while the server trickled")
    assert "stopped" in out and "Traceback" not in err


def test_idle_keeps_its_connection_and_ignores_an_unchanged_exists(
    scripted_imap: ScriptedImap,
) -> None:
    scripted_imap.add(MAIL.format(n=1))
    scripted_imap.exists_on_idle = True  # "* 1 EXISTS" again as every IDLE starts
    src = ImapSource("mail", scripted_imap.source_options(idle=True))
    try:
        woke = [src.wait_for_change(0.3) for _ in range(5)]
        assert woke == [False] * 5
        timer = threading.Timer(0.3, scripted_imap.add, args=(MAIL.format(n=2),))
        timer.start()
        assert src.wait_for_change(20) is True  # real news wakes it
        timer.join()
        assert src.wait_for_change(0.3) is False
    finally:
        src.close()
    assert scripted_imap.logins == 1
    assert scripted_imap.connections == 1


def test_reconnecting_after_dropped_idles_is_rate_limited(scripted_imap: ScriptedImap) -> None:
    scripted_imap.add(MAIL.format(n=1))
    scripted_imap.drop_on_idle = True
    src = ImapSource("mail", scripted_imap.source_options(idle=True))
    clock = [1000.0]
    src._gate.clock = lambda: clock[0]

    def watch(times: int) -> None:
        for _ in range(times):
            with contextlib.suppress(SourceError):  # the drop itself is reported
                src.wait_for_change(0.05)

    try:
        watch(10)
        assert scripted_imap.logins == 1  # backing off: no second login yet
        clock[0] += 2.5  # past the first backoff step
        watch(10)
        assert scripted_imap.logins == 2
        clock[0] += 2.5  # the second step is twice as long: still waiting
        watch(10)
        assert scripted_imap.logins == 2
        clock[0] += 2.0
        watch(1)
        assert scripted_imap.logins == 3
    finally:
        src.close()
