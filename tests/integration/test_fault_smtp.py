"""Pings through an SMTP server that refuses, hangs, drops or talks garbage.

aiosmtpd on 127.0.0.1 behind a ``FaultProxy``: a failed ping is recorded as
failed in the audit log (with the reason, in bounded time), it is tried once
per ping rather than in a loop, and the next ping goes through when the
server is back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import FaultProxy, Mode, make_engine, smtp_server

from farwatch.actions.ping import ping
from farwatch.state import audit
from farwatch.state.settings import NudgeSettings
from tests.servers.nudge_kit import SmtpServer

BOUND = 8.0  # seconds a failed ping may take with 1 s connect/read timeouts


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def proxy(smtp: SmtpServer) -> Iterator[FaultProxy]:
    front = FaultProxy(smtp.port, drop_on=b"data\r\n", drop_after=3)
    yield front
    front.close()


@pytest.mark.parametrize("mode", ["refuse", "hang", "drop", "garbage"])
def test_ping_through_a_failing_smtp_server_is_recorded_and_the_next_one_works(
    mode: Mode, tmp_path: Path, smtp: SmtpServer, proxy: FaultProxy
) -> None:
    url = f"mailto://owner@127.0.0.1:{proxy.port}?from=owner@example.com&mode=insecure&cto=1&rto=1"
    engine = make_engine(tmp_path, nudge=NudgeSettings(email=url))
    try:
        engine.poll_all()
        proxy.set(mode)
        started = time.monotonic()
        result = ping(engine, "ana")
        elapsed = time.monotonic() - started
        assert elapsed < BOUND
        assert result.status == "failed" and not result.ok
        assert result.reason.startswith("email: ") and "Traceback" not in result.reason
        assert "127.0.0.1" in result.reason or "ana@example.com" in result.reason
        if mode != "refuse":
            assert proxy.count() <= 2  # tried, not hammered
        entries = audit.read_entries(engine.settings.audit_file)  # newest first
        assert [(e.action, e.channel, e.outcome) for e in entries] == [
            ("ping", "email", "failed"),
            ("ping", "email", "intent"),
        ]
        assert entries[0].intent_id == entries[1].id and entries[0].detail
        assert smtp.mails == []
        assert audit.last_ping(engine.settings.audit_file, "ana") is None  # may retry at once

        proxy.set("relay")
        again = ping(engine, "ana")
        assert again.status == "sent", again.reason
        assert [m.recipients for m in smtp.mails] == [["ana@example.com"]]
        newest = audit.read_entries(engine.settings.audit_file)[0]
        assert (newest.outcome, newest.channel) == ("sent", "email")
    finally:
        engine.close()
