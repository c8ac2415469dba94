"""A dropped SSH session (SIGHUP) or a SIGTERM quits the demo cleanly.

The real ``farwatch demo`` runs on a pseudo-terminal; once its dashboard is on
screen it gets the signal, and must exit on its own, restore the terminal and
remove its temporary folder, like ``q`` does.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FARWATCH = Path(sys.executable).with_name("farwatch")


def read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    """Drain the terminal (so the app never blocks writing) until ``needle`` shows."""
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and needle not in seen:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_demo_exits_and_removes_its_folder_on_a_hangup(tmp_path: Path, sig: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    master, slave = pty.openpty()
    env = {**os.environ, "TMPDIR": str(tmp), "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [str(FARWATCH), "demo", "--no-simulate"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        screen = read_until(master, b"workers", 30)
        assert b"workers" in screen, screen[-2000:]
        assert [p.name for p in tmp.iterdir() if p.name.startswith("farwatch-demo-")]
        proc.send_signal(sig)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            read_until(master, b"\x00never", 0.2)
        assert proc.returncode == 0
        assert not [p for p in tmp.iterdir() if p.name.startswith("farwatch-demo-")]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_a_dropped_connection_with_the_simulator_running_still_cleans_up(tmp_path: Path) -> None:
    """A real SSH drop: the terminal is gone first (writes fail), then SIGHUP."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    master, slave = pty.openpty()
    env = {**os.environ, "TMPDIR": str(tmp), "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [str(FARWATCH), "demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        screen = read_until(master, b"workers", 30)
        assert b"workers" in screen, screen[-2000:]
        assert [p.name for p in tmp.iterdir() if p.name.startswith("farwatch-demo-")]
    finally:
        os.close(master)
    try:
        proc.send_signal(signal.SIGHUP)
        proc.wait(20)
        assert proc.returncode == 0
        assert not list(tmp.iterdir())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
