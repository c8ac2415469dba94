"""Fixtures for dashboard tests: a fake engine over fixed statuses, and screen text."""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tui_fakes import FakeEngine, FakeScheduler

from farwatch.tui.app import FarwatchApp, build_app
from tests.servers.nudge_kit import smtp_server, webhook

__all__ = ["smtp_server", "webhook"]  # the dialog tests send through real servers


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (the loop Textual uses)."""
    return "asyncio"


@pytest.fixture
def engine(tmp_path: Path) -> FakeEngine:
    return FakeEngine(tmp_path)


@pytest.fixture
def scheduler() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def app(engine: FakeEngine, scheduler: FakeScheduler) -> FarwatchApp:
    """The dashboard over the fake team: live (timers, polls) but on a frozen clock."""
    return build_app(engine, scheduler=scheduler, display_zone=UTC)
