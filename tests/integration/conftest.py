"""Fixtures for the crash and concurrency suites: a local team and its pollers."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from local_team import LocalTeam, Poller


@pytest.fixture
def team(tmp_path: Path) -> LocalTeam:
    return LocalTeam(tmp_path)


@pytest.fixture
def pollers() -> Iterator[list[Poller]]:
    """Pollers a test starts (append them) are stopped after it, whatever happened."""
    started: list[Poller] = []
    yield started
    for poller in started:
        if poller.proc.poll() is None:
            os.kill(poller.pid, signal.SIGKILL)
        poller.stop()


# The fault, hostile and secrets suites: the real IMAP server fixture (tests/servers).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.servers.fixtures import imap_server  # noqa: E402,F401
