"""What the dashboard needs from the engine and the poll scheduler.

The dashboard is written against these protocols rather than the concrete
classes, so tests and benchmarks can hand it a small stand-in engine, and the
type checker holds the real ``farwatch.state.engine.Engine`` to the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from farwatch.state.clock import Clock
from farwatch.state.settings import Settings
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus


class EngineLike(Protocol):
    settings: Settings
    clock: Clock
    notices: list[str]

    @property
    def read_only(self) -> bool: ...

    @property
    def lock_holder(self) -> str | None: ...

    @property
    def sources(self) -> dict[str, Any]: ...

    def poll_source(self, name: str) -> Any: ...

    def reload(self) -> bool: ...

    def snapshot(self) -> CacheSnapshot: ...

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]: ...

    def health(self) -> list[SourceHealth]: ...


class SchedulerLike(Protocol):
    """``farwatch.state.poller.Scheduler``: which sources are due, never overlapping."""

    def due(self, now: datetime) -> list[str]: ...

    def started(self, name: str) -> None: ...

    def finished(self, name: str, outcome: Any) -> None: ...

    def poll_now(self, name: str) -> None: ...


class PollSummary(Protocol):
    """The fields of ``PollOutcome`` the dashboard reads."""

    source: str
    ok: bool
    new_records: int
    error: Any


def source_names(engine: EngineLike) -> Sequence[str]:
    return list(engine.sources)
