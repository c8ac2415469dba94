"""Peers that never finish, for the liveness suite: real sockets on 127.0.0.1.

``StuckHttp`` is an HTTP server that answers every request one way:

* ``slowloris`` — a 200 with a long ``Content-Length``, then one byte of the
  body every ``drip`` seconds, for ever: each read gets an answer well inside
  any read timeout, so only a deadline on the whole fetch ends it;
* ``hang``      — reads the request and never answers at all;
* ``giant``     — a 200 whose JSON body is ``size`` bytes, sent as fast as the
  client reads it.

It counts requests, so a test can wait until the fetch is under way. ``team_with``
adds such a source to a ``LocalTeam`` config, and ``Dashboard`` runs the real
``farwatch`` dashboard in a tmux session on a private tmux server.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from local_team import FARWATCH, LocalTeam

HOST = "127.0.0.1"
Mode = Literal["slowloris", "hang", "giant"]
API_KEY_ENV = "FARWATCH_LIVENESS_KEY"


class StuckHttp:
    """An HTTP/1.1 server on 127.0.0.1 that never gives a complete answer in time."""

    def __init__(self, mode: Mode, *, drip: float = 0.2, size: int = 0) -> None:
        self.mode = mode
        self.drip = drip
        self.size = size
        self.requests = 0
        self._seen = threading.Condition()
        self._closed = threading.Event()
        self._conns: list[socket.socket] = []
        self._listener = socket.create_server((HOST, 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_for_request(self, timeout: float = 30.0) -> None:
        """Block until a client has sent a request (its fetch is under way)."""
        with self._seen:
            if not self._seen.wait_for(lambda: self.requests > 0, timeout):
                raise AssertionError(f"no request reached the {self.mode} server")

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> StuckHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            with self._seen:
                self.requests += 1
                self._seen.notify_all()
            if self.mode == "hang":
                self._closed.wait()
            elif self.mode == "slowloris":
                self._drip(conn)
            else:
                self._giant(conn)

    def _drip(self, conn: socket.socket) -> None:
        conn.sendall(_head(10_000_000))
        conn.sendall(b"[")
        while not self._closed.wait(self.drip):
            conn.sendall(b" ")

    def _giant(self, conn: socket.socket) -> None:
        opening, closing = b'{"padding": "', b'"}'
        conn.sendall(_head(self.size))
        conn.sendall(opening)
        left = self.size - len(opening) - len(closing)
        block = b"a" * 65536
        while left > 0 and not self._closed.is_set():
            piece = block[: min(left, len(block))]
            conn.sendall(piece)
            left -= len(piece)
        conn.sendall(closing)


def _head(length: int) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def add_tracker(team: LocalTeam, server: StuckHttp, *, timeout: str, deadline: str) -> None:
    """A Clockify source talking to ``server`` (both of its API hosts), in ``team``'s config."""
    os.environ.setdefault(API_KEY_ENV, "liveness-test-key")
    with team.config.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[sources]]\ntype = "clockify"\nname = "clock"\ninterval = "1s"\n'
            f'workspace = "ws1"\napi_key_env = "{API_KEY_ENV}"\n'
            f'base_url = "{server.url}/api/v1"\nreports_url = "{server.url}/reports/v1"\n'
            f'timeout = "{timeout}"\ndeadline = "{deadline}"\n'
        )


def add_sheet_url(team: LocalTeam, server: StuckHttp, *, timeout: str, deadline: str) -> None:
    """A second roster, a sheet ``url`` on ``server``, in ``team``'s config."""
    with team.config.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[sources]]\ntype = "sheet"\nname = "sheet"\ninterval = "1s"\n'
            f'url = "{server.url}/roster.csv"\nrefresh = "1s"\n'
            f'timeout = "{timeout}"\nconnect_timeout = "{timeout}"\ndeadline = "{deadline}"\n'
        )


def status_json(team: LocalTeam) -> dict[str, object]:
    """``farwatch status --json`` on the team's cache (reads; never polls)."""
    done = subprocess.run(
        [FARWATCH, "status", "--config", str(team.config), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


def sources_by_name(report: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = report["sources"]
    assert isinstance(rows, list)
    return {row["name"]: row for row in rows}


def last_checkins(report: dict[str, object]) -> dict[str, object]:
    rows = report["workers"]
    assert isinstance(rows, list)
    return {row["email"]: row["last_checkin"] for row in rows}


def gone(pid: int) -> bool:
    """The process no longer runs (exited, or a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds; False if it never did within ``timeout``
    (a guard against a hang, not a measure of speed)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


class Dashboard:
    """The real ``farwatch`` dashboard in a tmux pane on a private tmux server."""

    def __init__(self, team: LocalTeam, tag: str) -> None:
        tmux = shutil.which("tmux")
        assert tmux, "tmux is needed for the dashboard liveness tests"
        self.tmux = [tmux, "-L", f"fwlive-{os.getpid()}-{tag}", "-f", "/dev/null"]
        self.session = "dash"
        env_key = f"{API_KEY_ENV}={os.environ.get(API_KEY_ENV, 'liveness-test-key')}"
        command = f"exec env {env_key} TERM=xterm-256color {FARWATCH} --config {team.config}"
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.session, "-x", "120", "-y", "40", command],
            check=True,
            timeout=30,
        )
        shown = subprocess.run(
            [*self.tmux, "display-message", "-p", "-t", self.session, "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        self.pid = int(shown.stdout.strip())

    def screen(self) -> str:
        done = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.session],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, *keys], check=True, timeout=30)

    def kill_session(self) -> None:
        subprocess.run([*self.tmux, "kill-session", "-t", self.session], check=False, timeout=30)

    def close(self) -> None:
        """Tear down whatever is left: the tmux server, then our process if it lingers."""
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, check=False, timeout=30)
        if not gone(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
