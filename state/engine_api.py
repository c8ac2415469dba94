"""What the actions and the dashboard need from the engine: one protocol for both.

``actions/`` and ``tui/`` are written against ``EngineLike`` rather than the
concrete ``farwatch.state.engine.Engine``, so tests and benchmarks can hand
them a small stand-in, and the type checker holds the real engine to the same
shape. It lives here, in the lowest layer both may import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from farwatch.sources.base import Source
from farwatch.state.clock import Clock
from farwatch.state.poller import PollOutcome
from farwatch.state.settings import Settings
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus


@dataclass(frozen=True, slots=True)
class Refresh:
    """One refresh of the dashboard: statuses and health read from one snapshot."""

    snapshot: CacheSnapshot
    statuses: list[WorkerStatus]
    health: list[SourceHealth]


class EngineLike(Protocol):
    """The part of ``farwatch.state.engine.Engine`` the actions and the dashboard use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def notices(self) -> list[str]: ...

    @property
    def sources(self) -> dict[str, Source]: ...

    @property
    def intervals(self) -> dict[str, float]: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def lock_holder(self) -> str | None: ...

    def poll_source(self, name: str) -> PollOutcome: ...

    def reload(self) -> bool: ...

    def snapshot(self) -> CacheSnapshot: ...

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]: ...

    def health(self) -> list[SourceHealth]: ...

    def refresh(self, now: datetime | None = None) -> Refresh: ...
