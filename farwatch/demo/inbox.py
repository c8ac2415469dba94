"""The demo team's instant-messaging inbox: a webhook on 127.0.0.1.

Each demo worker's roster ``im`` is an apprise ``json://`` URL pointing here,
so pinging or pausing someone in the demo goes through the real actions and
apprise, over a real HTTP request that never leaves the machine. The
simulator hears about each message and has a pinged worker write back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """What the owner sent one worker."""

    worker_id: str
    title: str
    body: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        worker = self.path.strip("/").split("/")[0].split("?")[0]
        message = InboxMessage(worker, str(data.get("title", "")), str(data.get("message", "")))
        self.server.inbox.receive(message)  # before answering: the sender then knows it landed
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the dashboard owns the terminal."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    inbox: Inbox


class Inbox:
    """A webhook receiver for the demo team, bound to a free loopback port."""

    def __init__(self, on_message: Callable[[InboxMessage], None] | None = None) -> None:
        self.messages: list[InboxMessage] = []
        self.on_message = on_message
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.inbox = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def channel_url(self) -> str:
        """The ``[nudge.im.demo]`` URL: ``{to}`` (a worker id) becomes the path here."""
        return f"json://127.0.0.1:{self.port}/{{to}}"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="farwatch-demo-inbox",
                daemon=True,
            )
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(2)
            self._thread = None
        self._server.server_close()

    def receive(self, message: InboxMessage) -> None:
        with self._lock:
            self.messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
