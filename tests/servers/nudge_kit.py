"""Shared by the action and dialog tests: a real SMTP server, a loopback webhook, fakes."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from farwatch.sources.base import Source, StopResult, TimerNotRunning
from farwatch.sources.model import Cursor, FetchResult, RosterRow, TimeEntry
from farwatch.state.engine_api import Refresh
from farwatch.state.settings import (
    CacheSettings,
    ImChannelSettings,
    NudgeSettings,
    Policy,
    Settings,
)
from farwatch.state.snapshot import CacheSnapshot
from farwatch.state.status import WorkerStatus

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- SMTP ----------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    body: str


@dataclass
class SmtpServer:
    port: int
    mails: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def url(self, user: str = "owner") -> str:
        return f"mailto://{user}@127.0.0.1:{self.port}?from=owner@example.com&mode=insecure"


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        self.server.mails.append(
            Mail(envelope.mail_from, list(envelope.rcpt_tos), str(msg["subject"]), body)
        )
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    state = SmtpServer(free_port())

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword):
            state.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password == b"s3cret-pw")
        return AuthResult(success=False)

    controller = Controller(
        _Handler(state),
        hostname="127.0.0.1",
        port=state.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


# -- webhook -------------------------------------------------------------


@dataclass
class Webhook:
    port: int
    status: int = 200
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def channels(self) -> dict[str, ImChannelSettings]:
        """The owner's ``[nudge.im.hook]``: this server, the recipient as the path."""
        return {"hook": ImChannelSettings("hook", f"json://127.0.0.1:{self.port}/{{to}}")}

    def toml(self) -> str:
        return f'[nudge.im.hook]\nurl = "json://127.0.0.1:{self.port}/{{to}}"\n'

    @staticmethod
    def cell(path: str = "/hook") -> str:
        """The roster ``im`` cell that reaches ``path`` on this server."""
        return "hook:" + path.lstrip("/")


@contextmanager
def webhook_server() -> Iterator[Webhook]:
    """A JSON webhook on 127.0.0.1 recording (path, payload) of each POST."""
    state = Webhook(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append((self.path, payload))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with webhook_server() as state:
        yield state


# -- workers and a stand-in engine ---------------------------------------


def status(**kw: Any) -> WorkerStatus:
    base: dict[str, Any] = dict(
        id="ana",
        name="Ana Reyes",
        email="ana@example.com",
        category="VA",
        timezone="Asia/Manila",
        local_time=NOW,
        task="Inbox triage",
        task_source="roster",
        running=False,
        paused=False,
        working_now=True,
        last_checkin=NOW - timedelta(hours=5),
        last_checkin_subject="morning",
        checkin_age=5 * 3600.0,
        checkin_work_age=5 * 3600.0,
        checkin_level="alert",
        hours_used=12.0,
        cap_hours=40.0,
        cap_period="week",
        period_start=NOW - timedelta(days=1),
        burn=0.3,
        burn_level="ok",
        cap_eta=None,
        checkins_total=3,
    )
    base.update(kw)
    return WorkerStatus(**base)


class StopSource(Source):  # type: ignore[misc]
    """A tracker that can stop timers, recording who it was asked to stop."""

    type_name = "teststop"
    can_stop_timer = True

    def __init__(self, name: str = "tracker", running: bool = True) -> None:
        super().__init__(name, {})
        self.running = running
        self.calls: list[str] = []
        self.error: Exception | None = None

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        return FetchResult()

    def stop_timer(self, who: str, now: datetime) -> StopResult:
        self.calls.append(who)
        if self.error is not None:
            raise self.error
        if not self.running:
            raise TimerNotRunning()
        self.running = False
        return StopResult(entry_key="e1", stopped_at=now, task="Inbox triage")


class FakeEngine:
    """Statuses are set by the test; paused is read from the audit log like the real one."""

    def __init__(self, settings: Settings, workers: list[WorkerStatus], now: datetime = NOW):
        self.settings = settings
        self.now = now
        self.workers = workers
        self._sources: dict[str, Any] = {}
        self.snap = CacheSnapshot()
        self.clock = lambda: self.now
        # What the dashboard reads besides statuses.
        self.notices: list[str] = []
        self.read_only = False
        self.lock_holder: str | None = None

    def poll_source(self, name: str) -> Any:
        raise AssertionError("actions tests never poll")

    def reload(self) -> bool:
        return False

    def health(self) -> list[Any]:
        return []

    @property
    def sources(self) -> dict[str, Any]:
        return self._sources

    def snapshot(self) -> CacheSnapshot:
        return self.snap

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]:
        from farwatch.state import audit

        paused = audit.paused_workers(self.settings.audit_file)
        return [replace(w, paused=w.paused or w.id in paused) for w in self.workers]

    def refresh(self, now: datetime | None = None) -> Refresh:
        return Refresh(self.snapshot(), self.statuses(now), self.health())


def make_settings(tmp_path: Path, **nudge: Any) -> Settings:
    return Settings(
        path=None,
        cache=CacheSettings(path=tmp_path / "cache.json"),
        nudge=NudgeSettings(**nudge),
        policy=Policy(),
    )


@pytest.fixture
def roster_row() -> RosterRow:
    return RosterRow(worker_id="ana", name="Ana Reyes", email="ana@example.com")


def running_entry(who: str = "u-ana") -> TimeEntry:
    return TimeEntry(key="e1", who=who, start=NOW - timedelta(hours=1), end=None, task="x")
