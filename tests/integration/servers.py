"""Loopback servers that misbehave on cue, for the fault, hostile and secrets suites.

``FaultProxy`` sits in front of a real server (dovecot/pymap, the roster HTTP
server, aiosmtpd) on 127.0.0.1 and a test switches what a client meets:

* ``relay``   — the real server, byte for byte;
* ``refuse``  — nothing listens on the port (connection refused);
* ``hang``    — the connection is accepted and then nothing is ever said;
* ``drop``    — relayed until the client sends ``drop_on``, then cut ``drop_after``
  bytes into the server's answer (a connection lost mid-response);
* ``garbage`` — bytes that are no protocol at all, then the connection closes.

It counts the connections it accepts, which is what "never retries in a tight
loop" is measured by. ``SheetSite`` is a roster CSV over HTTP whose status and
``Retry-After`` a test sets; ``start_smtp`` and ``start_webhook`` reuse the
actions suite's aiosmtpd handler and webhook shape.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # `tests.*` imports under --import-mode=importlib
    sys.path.insert(0, _ROOT)

from farwatch.state.engine import Engine  # noqa: E402
from farwatch.state.settings import (  # noqa: E402
    CacheSettings,
    NudgeSettings,
    Settings,
    SourceSettings,
)
from tests.servers.nudge_kit import (  # noqa: E402
    SmtpServer,
    Webhook,
    _Handler,
    webhook_server,
)

__all__ = ["Webhook", "webhook_server"]  # the suites here import them from this module

HOST = "127.0.0.1"
Mode = Literal["relay", "refuse", "hang", "drop", "garbage"]
GARBAGE = b"\x00\xff\xfe HELLO?? \x1b[2J not-a-protocol \x80\x81\r\n" * 8


class FaultProxy:
    """A TCP front for ``upstream`` (a port on 127.0.0.1) with switchable faults."""

    def __init__(
        self,
        upstream: int,
        *,
        drop_on: bytes = b"",
        drop_after: int = 16,
        garbage: bytes = GARBAGE,
    ) -> None:
        self.upstream = upstream
        self.drop_on = drop_on
        self.drop_after = drop_after
        self.garbage = garbage
        self.mode: Mode = "relay"
        self.connections = 0
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._closed = False
        self._listener: socket.socket | None = None
        probe = socket.create_server((HOST, 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self._listen()

    # -- switching -----------------------------------------------------------

    def set(self, mode: Mode) -> None:
        """Switch behaviour; connections already open are cut (a restart)."""
        with self._lock:
            self.mode = mode
            socks, self._socks = self._socks, []
        for sock in socks:
            _close(sock)
        if mode == "refuse":
            self._unlisten()
        elif self._listener is None:
            self._listen()

    def count(self) -> int:
        with self._lock:
            return self.connections

    def close(self) -> None:
        self._closed = True
        self.set("refuse")

    # -- listening -----------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _unlisten(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            _close(listener)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._socks.append(conn)
                mode = self.mode
            threading.Thread(target=self._serve, args=(conn, mode), daemon=True).start()

    def _serve(self, conn: socket.socket, mode: Mode) -> None:
        if mode == "hang":
            return  # held open (in _socks) until the mode changes or the test ends
        if mode == "garbage":
            with contextlib.suppress(OSError):
                conn.sendall(self.garbage)
            _close(conn)
            return
        try:
            upstream = socket.create_connection((HOST, self.upstream), timeout=5)
        except OSError:
            _close(conn)
            return
        with self._lock:
            self._socks.append(upstream)
        state = {"armed": False}
        threading.Thread(
            target=self._pipe, args=(conn, upstream, mode, state, True), daemon=True
        ).start()
        self._pipe(upstream, conn, mode, state, False)

    def _pipe(
        self, src: socket.socket, dst: socket.socket, mode: Mode, state: dict[str, Any], up: bool
    ) -> None:
        budget = self.drop_after
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if mode == "drop" and up and self.drop_on in data:
                    state["armed"] = True
                if mode == "drop" and not up and state["armed"]:
                    dst.sendall(data[:budget])
                    break  # cut mid-answer
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


@contextmanager
def fault_proxy(upstream: int, **kwargs: Any) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, **kwargs)
    try:
        yield proxy
    finally:
        proxy.close()


# -- the roster over HTTP ----------------------------------------------------


@dataclass
class SheetSite:
    """A roster CSV on 127.0.0.1; ``status``/``headers`` make it refuse politely."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/roster.csv"


@contextmanager
def sheet_site(body: bytes) -> Iterator[SheetSite]:
    site = SheetSite(body)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with lock:
                site.requests += 1
            body = site.body if site.status == 200 else b"slow down\n"
            self.send_response(site.status)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            for key, value in site.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    site.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# -- SMTP and a webhook (the actions suite's servers) ------------------------


@contextmanager
def smtp_server(password: str = "s3cret-pw") -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 with the actions suite's handler; LOGIN checks ``password``."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    state = SmtpServer(port)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword):
            state.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password == password.encode())
        return AuthResult(success=False)

    controller = Controller(
        _Handler(state),
        hostname=HOST,
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


# -- a team watched through the real engine -----------------------------------

ROSTER = (
    "id,name,email,timezone,hours,days,cap_hours\n"
    "ana,Ana Reyes,ana@example.com,UTC,00:00-23:59,daily,40\n"
    "ben,Ben Okafor,ben@example.com,UTC,00:00-23:59,daily,20\n"
)


def checkin_mail(sender: str, subject: str, message_id: str, at: datetime) -> bytes:
    """A plain check-in email as a worker's mail client would send it."""
    return (
        f"From: {sender}\r\nTo: owner@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: {format_datetime(at)}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nOn it; next update in two hours.\r\n"
    ).encode()


def make_engine(
    root: Path,
    *sources: SourceSettings,
    nudge: NudgeSettings | None = None,
    roster_file: bool = True,
) -> Engine:
    """An opened engine on ``sources``, after a roster file in ``root`` unless told not to."""
    roster = root / "roster.csv"
    if roster_file and not roster.exists():
        roster.write_text(ROSTER, encoding="utf-8")
    local = (SourceSettings("sheet", "roster", 3600.0, {"path": str(roster)}),)
    settings = Settings(
        path=None,
        cache=CacheSettings(path=root / "cache.json", retention=3650 * 86400.0),
        sources=(*(local if roster_file else ()), *sources),
        nudge=nudge or NudgeSettings(),
        audit_path=root / "audit.jsonl",
    )
    engine = Engine(settings)
    engine.open()
    return engine


def seen(engine: Engine) -> dict[str, tuple[object, ...]]:
    """What the owner sees of each worker that a source outage must not change."""
    return {
        s.id: (s.name, s.email, s.last_checkin, s.last_checkin_subject, s.checkins_total, s.task)
        for s in engine.statuses()
    }


def run_daemon(engine: Engine, seconds: float) -> None:
    """Run the real ``farwatch poll`` loop on ``engine`` for ``seconds``."""
    from farwatch.cli.poll_cmd import run_forever

    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(engine, 8), kwargs={"stop": stop}, daemon=True
    )
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive(), "the poll loop did not stop"
