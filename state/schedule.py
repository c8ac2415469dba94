"""When each source is due: per-source, on a monotonic clock.

The dashboard and the ``farwatch poll`` daemon each keep one ``Scheduler``.
Every source has its own due time and is polled on its own, so a slow or hung
source never delays another; a source whose previous poll has not finished is
never started again (no pile-up).

Due times are kept on a monotonic clock, never the wall clock: an NTP step of
−2 h (or +2 h) must change only the times shown to the owner, not whether a
poll happens. A persisted ``next_poll`` (wall time, from the cache) is turned
into "seconds from now" once at start-up and clamped to the longest wait the
source could legitimately have — one interval when it was healthy, the
back-off cap when it was failing — so a ``next_poll`` written while the clock
was far ahead cannot silence a source.

The scheduler holds no threads, so the dashboard drives it from Textual
workers and the daemon from a plain loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from farwatch.state.backoff import DEFAULT_POLICY, BackoffPolicy
from farwatch.state.poller import PollOutcome
from farwatch.state.snapshot import SourceHealth

Monotonic = Callable[[], float]


def longest_wait(
    interval: float, *, failing: bool, policy: BackoffPolicy = DEFAULT_POLICY
) -> float:
    """The furthest ahead a source's next poll can sensibly be (seconds)."""
    if not failing:
        return max(0.0, interval)
    return max(interval, policy.cap, policy.long_wait, policy.quota_wait)


class Scheduler:
    """Which sources are due; never one whose previous poll is still running.

    The caller asks ``due(now)``, calls ``started(name)`` before launching a
    poll and ``finished(name, outcome)`` when it returns; the next poll comes
    ``outcome.delay`` seconds (interval, or back-off after a failure) after
    that, on the monotonic clock. ``now`` (wall time) only labels display times.

    Args:
        intervals: polling interval (seconds) per source name, in display order.
        health: persisted health, so a restart keeps a failing source's back-off.
        now: the wall time ``health`` is read against (default: the system clock).
        monotonic: the clock due times are kept on (tests pass a fake one).
        policy: the back-off knobs, for clamping persisted due times.
    """

    def __init__(
        self,
        intervals: Mapping[str, float],
        *,
        health: Mapping[str, SourceHealth] | None = None,
        now: datetime | None = None,
        monotonic: Monotonic = time.monotonic,
        policy: BackoffPolicy = DEFAULT_POLICY,
    ) -> None:
        self.intervals = dict(intervals)
        self._mono = monotonic
        self._next: dict[str, float | None] = {}
        self._in_flight: set[str] = set()
        self._again: set[str] = set()
        wall = now or datetime.now(UTC)
        base = self._mono()
        self._seen = (wall, base)
        known = health or {}
        for name, interval in self.intervals.items():
            self._next[name] = self._resume(known.get(name), interval, wall, base, policy)

    @staticmethod
    def _resume(
        found: SourceHealth | None,
        interval: float,
        wall: datetime,
        base: float,
        policy: BackoffPolicy,
    ) -> float | None:
        if found is None or found.next_poll is None:
            return None
        ahead = (found.next_poll - wall).total_seconds()
        if ahead <= 0:
            return None
        limit = longest_wait(interval, failing=found.consecutive_failures > 0, policy=policy)
        return base + min(ahead, limit)

    @property
    def in_flight(self) -> frozenset[str]:
        return frozenset(self._in_flight)

    def next_poll(self, name: str) -> datetime | None:
        """When ``name`` is next due, as a wall time for display (None: as soon as possible)."""
        at = self._next.get(name)
        if at is None:
            return None
        wall, base = self._seen
        return wall + timedelta(seconds=at - base)

    def due(self, now: datetime) -> list[str]:
        """Sources to poll now: their time has come and they are not in flight.

        ``now`` is the wall time, kept only to label display times.
        """
        current = self._mono()
        self._seen = (now, current)
        return [
            name
            for name, at in self._next.items()
            if name not in self._in_flight and (at is None or at <= current)
        ]

    def seconds_to_next(self) -> float | None:
        """Seconds until the earliest source not in flight falls due (0: one is due
        now; None: every source is in flight)."""
        times = [at for name, at in self._next.items() if name not in self._in_flight]
        if not times:
            return None
        if any(at is None for at in times):
            return 0.0
        return max(0.0, min(at for at in times if at is not None) - self._mono())

    def started(self, name: str) -> None:
        """Mark ``name`` as being polled.

        Raises:
            KeyError: unknown source.
            RuntimeError: its previous poll has not finished (that is a pile-up).
        """
        if name not in self._next:
            raise KeyError(name)
        if name in self._in_flight:
            raise RuntimeError(f"{name} is already being polled")
        self._in_flight.add(name)
        self._again.discard(name)

    def finished(self, name: str, outcome: PollOutcome | None = None) -> None:
        """Mark ``name``'s poll as done and schedule its next one.

        ``outcome`` None (the poll itself blew up) schedules one interval later.
        """
        self._in_flight.discard(name)
        if name not in self.intervals:  # removed while it ran
            return
        if name in self._again:
            self._again.discard(name)
            self._next[name] = None
            return
        delay = outcome.delay if outcome is not None else None
        if delay is None:
            delay = self.intervals.get(name, 60.0)
        self._next[name] = self._mono() + max(0.0, delay)

    def poll_now(self, name: str) -> None:
        """Make ``name`` due at once (after its current poll, if one is running).

        Raises:
            KeyError: unknown source.
        """
        if name not in self._next:
            raise KeyError(name)
        if name in self._in_flight:
            self._again.add(name)
        else:
            self._next[name] = None

    def add(self, name: str, interval: float) -> None:
        """Start scheduling a source (due at once)."""
        self.intervals[name] = interval
        self._next.setdefault(name, None)

    def remove(self, name: str) -> None:
        """Stop scheduling a source; a poll already running may still finish."""
        self.intervals.pop(name, None)
        self._next.pop(name, None)
        self._again.discard(name)
