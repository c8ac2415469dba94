"""What the dashboard needs from the poll scheduler.

The engine's shape is ``farwatch.state.engine_api.EngineLike``, shared with
the actions. The dashboard is written against these protocols rather than the
concrete classes, so tests and benchmarks can hand it small stand-ins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from farwatch.state.poller import PollOutcome


class SchedulerLike(Protocol):
    """``farwatch.state.poller.Scheduler``: which sources are due, never overlapping."""

    def due(self, now: datetime) -> list[str]: ...

    def started(self, name: str) -> None: ...

    def finished(self, name: str, outcome: PollOutcome | None) -> None: ...

    def poll_now(self, name: str) -> None: ...
