"""The injected clock: everything time-dependent takes one, so tests freeze it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def frozen_clock(at: datetime) -> Clock:
    """A clock stuck at ``at`` (must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("frozen_clock needs an aware datetime")
    fixed = at.astimezone(UTC)
    return lambda: fixed
