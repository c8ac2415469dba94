"""The IMAP source against a real server that refuses, hangs, drops or talks garbage.

A real dovecot (or pymap) on 127.0.0.1 sits behind a ``FaultProxy``; the engine
polls it through the same code the dashboard and ``farwatch poll`` use. For
every fault: polling carries on, the source's health names the failure in plain
words, what the owner saw before stays on screen, the source recovers once the
server is back, and the retries slow down instead of hammering the server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from servers import FaultProxy, Mode, checkin_mail, make_engine, run_daemon, seen

from farwatch.sources.explain import explain
from farwatch.state import audit
from farwatch.state.engine import Engine
from farwatch.state.settings import SourceSettings
from tests.servers.imap import PASSWORD, ImapServer

INTERVAL = 0.3
TIMEOUT = 0.5
WINDOW = 2.0

EXPECTED: dict[str, tuple[set[str], str]] = {
    "refuse": ({"refused"}, "refused the connection"),
    "hang": ({"timeout"}, "did not answer within 0.5 s"),
    "drop": ({"io"}, "connection to 127.0.0.1"),
    "garbage": ({"io", "protocol"}, "127.0.0.1"),
}


@pytest.fixture
def folder(imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A folder of this test's own, holding one check-in from Ana."""
    monkeypatch.setenv("FARWATCH_FAULT_IMAP_PW", PASSWORD)
    name = "Fault" + uuid.uuid4().hex[:8]
    imap_server.create_folder(name)
    at = datetime.now(UTC) - timedelta(minutes=30)
    imap_server.deliver(
        checkin_mail("ana@example.com", "Invoices: 40 of 65 done", f"a1.{name}@x", at),
        folder=name,
    )
    return name


@pytest.fixture
def proxy(imap_server: ImapServer) -> Iterator[FaultProxy]:
    front = FaultProxy(imap_server.port, drop_on=b"EXAMINE", drop_after=12)
    yield front
    front.close()


def imap_engine(root: Path, proxy: FaultProxy, folder: str) -> Engine:
    options = {
        "host": "127.0.0.1",
        "port": proxy.port,
        "username": "owner@example.com",
        "password_env": "FARWATCH_FAULT_IMAP_PW",
        "tls": "none",
        "folder": folder,
        "timeout": TIMEOUT,
    }
    return make_engine(root, SourceSettings("imap", "mail", INTERVAL, options))


@pytest.mark.parametrize("mode", ["refuse", "hang", "drop", "garbage"])
def test_imap_fault_is_shown_keeps_data_backs_off_and_recovers(
    mode: Mode, tmp_path: Path, imap_server: ImapServer, proxy: FaultProxy, folder: str
) -> None:
    engine = imap_engine(tmp_path, proxy, folder)
    try:
        assert all(o.ok for o in engine.poll_all())
        before = seen(engine)
        assert before["ana"][3] == "Invoices: 40 of 65 done"

        proxy.set(mode)
        started = time.monotonic()
        outcome = engine.poll_source("mail")
        assert time.monotonic() - started < 2 * TIMEOUT + 1.5
        kinds, words = EXPECTED[mode]
        assert not outcome.ok and outcome.error is not None
        assert outcome.error.kind in kinds, outcome.error.message
        health = {h.name: h for h in engine.health()}["mail"]
        assert health.last_error_kind == outcome.error.kind
        assert health.last_error is not None and words in health.last_error
        assert health.last_error.startswith("mail: ") and "Traceback" not in health.last_error
        assert health.last_error_title and explain(outcome.error)
        assert health.consecutive_failures == 1 and health.last_error_at is not None
        assert health.next_poll is not None
        assert health.next_poll >= health.last_error_at + timedelta(seconds=INTERVAL)
        assert seen(engine) == before  # the last good data stays on screen
        failures = [e for e in audit.read_entries(engine.settings.audit_file)]
        assert [(e.action, e.channel, e.outcome) for e in failures] == [
            ("source_failure", "mail", outcome.error.kind)
        ]

        # The real poll loop for a while: it slows down instead of hammering.
        connections = proxy.count()
        run_daemon(engine, WINDOW)
        health = {h.name: h for h in engine.health()}["mail"]
        tries = health.consecutive_failures - 1
        assert 1 <= tries <= int(WINDOW / INTERVAL) + 1
        if mode != "refuse":  # a refused connection never reaches the server
            assert proxy.count() - connections == tries
        assert health.last_error_at is not None and health.next_poll is not None
        wait = (health.next_poll - health.last_error_at).total_seconds()
        backoff = INTERVAL * 2 ** (health.consecutive_failures - 1) * 0.75
        assert wait >= min(backoff, 3600.0) - 0.01
        assert seen(engine) == before
        assert len(audit.read_entries(engine.settings.audit_file)) == 1  # once per outage

        # The server comes back (and new mail with it): "poll now" picks it up.
        proxy.set("relay")
        imap_server.deliver(
            checkin_mail(
                "ana@example.com", "Invoices: all 65 done", f"a2.{folder}@x", datetime.now(UTC)
            ),
            folder=folder,
        )
        recovered = engine.poll_source("mail")
        assert recovered.ok and recovered.new_records == 1
        health = {h.name: h for h in engine.health()}["mail"]
        assert health.consecutive_failures == 0 and health.ok
        assert seen(engine)["ana"][3] == "Invoices: all 65 done"
        last = audit.read_entries(engine.settings.audit_file)[0]  # newest first
        assert (last.action, last.outcome) == ("source_recovered", "ok")
    finally:
        engine.close()


def test_polls_from_fresh_threads_reuse_one_imap_connection(
    tmp_path: Path, proxy: FaultProxy, folder: str
) -> None:
    """Each poll runs in a new thread; the connection must not leak with it
    (dovecot refuses an 11th connection per user and address by default)."""
    engine = imap_engine(tmp_path, proxy, folder)
    try:
        for _ in range(12):
            assert engine.poll_source("mail").ok
        assert proxy.count() == 1
    finally:
        engine.close()
