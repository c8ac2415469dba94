"""Loopback HTTP servers that attack farwatch: they echo credentials, redirect to
another host, send next-page links elsewhere, downgrade to http, hang or babble.

``Hostile`` answers every tracker path (Clockify, Toggl, Harvest) and a roster
CSV; ``mode`` picks how, and in mode ``ok`` a test's ``routes`` (path prefix ->
status, headers, body; the longest prefix wins) answer before the documented
empty shapes. ``Recorder`` is the "other host" on 127.0.0.2: it
records every byte it is sent and answers nothing useful. ``Canaries`` are
the secrets of a run and every form in which one could leak.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, quote_plus

Mode = Literal[
    "ok", "garbage", "echo401", "late401", "429", "redirect", "next", "downgrade", "hang"
]
MODES: tuple[Mode, ...] = (
    "ok",
    "garbage",
    "echo401",
    "late401",
    "429",
    "redirect",
    "next",
    "downgrade",
    "hang",
)
OTHER_HOST = "127.0.0.2"
ROSTER = (
    b"id,name,email,timezone,hours,days\r\nana,Ana Reyes,ana@example.com,UTC,00:00-23:59,daily\r\n"
)


@dataclass
class Canaries:
    """One run's secrets (long, distinct, unguessable-looking)."""

    values: dict[str, str]

    def forms(self) -> set[str]:
        """Each secret as is, URL-encoded, JSON-escaped, and the base64 characters
        that encode only its bytes in Basic auth (``secret:api_token``, ``user:secret``)."""
        found: set[str] = set()
        for secret in self.values.values():
            found |= {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
            for before, after in (("", ""), ("", ":api_token"), ("owner:", ""), ("ab:", "")):
                raw = f"{before}{secret}{after}".encode()
                encoded = base64.b64encode(raw).decode()
                start, end = 8 * len(before.encode()), 8 * (len(raw) - len(after.encode()))
                only = [c for j, c in enumerate(encoded) if 6 * j >= start and 6 * j + 6 <= end]
                found.add("".join(only))
        return found

    def pieces(self) -> set[str]:
        """Every 8-character piece of every form."""
        return {f[i : i + 8] for f in self.forms() for i in range(len(f) - 7)}

    def leaks(self, text: str) -> list[str]:
        return sorted(p for p in self.pieces() if p in text)


@dataclass
class Seen:
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hostile: Hostile


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.server.hostile
        host.seen.requests.append(
            (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        status, headers, payload = host.answer(self.command, self.path, dict(self.headers))
        if status == 0:  # hang: say nothing until the client gives up
            host.release.wait(30)
            return
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = _serve


class Hostile:
    """A tracker/sheet server on 127.0.0.1 that misbehaves as ``mode`` says."""

    def __init__(self, mode: Mode, other_port: int, tls: ssl.SSLContext | None = None) -> None:
        self.mode = mode
        self.other_port = other_port
        self.seen = Seen()
        self.routes: dict[str, tuple[int, dict[str, str], Any]] = {}
        self.release = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hostile = self
        self.scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(  # handshakes in each handler thread,
                self._server.socket,  # so a client that never speaks TLS blocks no one
                server_side=True,
                do_handshake_on_connect=False,
            )
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- what to say ----------------------------------------------------------
    def answer(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        mode = self.mode
        if mode == "hang":
            return 0, {}, b""
        if mode == "garbage":
            return 200, {"Content-Type": "application/json"}, b"\x00\xff{not json \x1b[2J"
        if mode == "echo401":
            echoed = "; ".join(f"{k}: {v}" for k, v in headers.items())
            return 401, {"Content-Type": "application/json"}, _json({"message": echoed})
        if mode == "late401":
            key = _credential(headers)
            text = "Your request could not be authenticated. " * 3 + f"The key {key} is invalid."
            return 401, {"Content-Type": "application/json"}, _json({"message": text})
        if mode == "429":
            return 429, {"Retry-After": "120", "Content-Type": "application/json"}, b"{}"
        other = f"http://{OTHER_HOST}:{self.other_port}"
        if mode == "redirect":
            return 302, {"Location": f"{other}/steal{path}"}, b""
        if mode in ("next", "downgrade") and "/users" in path and "?page=2" not in path:
            nxt = (
                f"{other}/v2/users?page=2"
                if mode == "next"
                else f"http://127.0.0.1:{self.port}/v2/users?page=2"
            )
            return (
                200,
                {"Content-Type": "application/json"},
                _json({"users": [], "links": {"next": nxt}}),
            )
        return self._documented(method, path)

    def _documented(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        """A test's route for ``path``, else the vendors' documented shapes, nobody working."""
        for prefix in sorted(self.routes, key=len, reverse=True):
            if path.startswith(prefix):
                status, headers, body = self.routes[prefix]
                return status, headers, body if isinstance(body, bytes) else _json(body)
        ok = {"Content-Type": "application/json"}
        if path.startswith("/roster.csv"):
            return 200, {"Content-Type": "text/csv"}, ROSTER
        if path.startswith("/v2/"):  # Harvest
            key = "users" if "/users" in path else "time_entries"
            return 200, ok, _json({key: [], "links": {"next": None}})
        if "/reports/detailed" in path:  # Clockify reports
            return 200, ok, _json({"timeentries": []})
        return 200, ok, b"[]"  # Clockify/Toggl lists


def _credential(headers: dict[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() in ("authorization", "x-api-key"):
            return value.split(" ", 1)[-1]
    return ""


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


class Recorder:
    """The "other host": a TCP listener on 127.0.0.2 that records every byte sent to it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((OTHER_HOST, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.settimeout(1)
            try:
                data = conn.recv(65536)
                self.received.append(data)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


@contextmanager
def recorder() -> Iterator[Recorder]:
    other = Recorder()
    try:
        yield other
    finally:
        other.close()


def tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
