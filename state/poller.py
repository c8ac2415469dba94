"""Polling: run sources' fetches concurrently, store what they return, keep health.

``poll_sources`` is one poll cycle: every given source fetches in its own
(daemon) thread, the results go into the cache, each source's health (last success,
last error, failures, next poll, requests) is updated, old records are pruned,
and the cache is written once. A source that raises anything at all becomes a
failed outcome with plain words; it never takes the poller down.

``Scheduler`` is the bookkeeping for long-running use (the dashboard, the
``farwatch poll`` daemon): which sources are due, and never one whose previous
poll has not finished, so a slow source cannot pile up polls. It holds no
threads, so the dashboard can drive it from Textual workers and the daemon
from a plain loop.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import MAX_WARNINGS, Cursor, FetchResult, SourceWarning, as_warnings
from farwatch.state import backoff
from farwatch.state.cache import Cache
from farwatch.state.clock import Clock
from farwatch.state.fetch_check import drop_unusable
from farwatch.state.snapshot import SourceHealth


@dataclass(slots=True)
class PollOutcome:
    """What one source's poll did."""

    source: str
    ok: bool
    records: int
    """Records the fetch returned."""
    new_records: int
    """Records that were not in the cache before."""
    error: SourceError | None
    duration: float
    """Seconds the fetch took."""
    requests: int
    """Network requests the fetch made (what rate limits count)."""
    next_poll: datetime | None = None
    """When this source should be polled next (interval, or back-off after a failure)."""
    warnings: list[SourceWarning] = field(default_factory=list)
    """Non-fatal problems the source reported (bad rows, unmatched senders, ...)."""


# Sources whose fetch thread is still running after a poll timed out; they are
# not fetched again until it returns, so a hung server cannot pile up threads.
_running: set[int] = set()
_running_lock = threading.Lock()


def _claim(source: Source) -> bool:
    with _running_lock:
        if id(source) in _running:
            return False
        _running.add(id(source))
        return True


def _release(source: Source) -> None:
    with _running_lock:
        _running.discard(id(source))


@dataclass(slots=True)
class _Fetched:
    result: FetchResult | None
    error: SourceError | None
    duration: float


def _fetch(source: Source, cursor: Cursor, now: datetime) -> _Fetched:
    started = time.monotonic()
    try:
        result = source.fetch(cursor, now)
        if not isinstance(result, FetchResult):
            raise TypeError(f"fetch returned {type(result).__name__}, not a FetchResult")
        return _Fetched(result, None, time.monotonic() - started)
    except SourceError as exc:
        return _Fetched(None, exc, time.monotonic() - started)
    except Exception as exc:  # a broken source must never crash the poller
        return _Fetched(None, as_source_error(source.name, exc), time.monotonic() - started)
    finally:
        _release(source)


def _start(source: Source, cursor: Cursor, now: datetime) -> Future[_Fetched]:
    """Fetch in a daemon thread: a fetch hung past the timeout must not keep the
    process from exiting (a ThreadPoolExecutor joins its threads at exit)."""
    future: Future[_Fetched] = Future()
    future.set_running_or_notify_cancel()

    def run() -> None:
        future.set_result(_fetch(source, cursor, now))

    threading.Thread(target=run, name=f"farwatch-poll-{source.name}", daemon=True).start()
    return future


def as_source_error(name: str, exc: BaseException) -> SourceError:
    """Plain words for an unexpected exception out of a source (a bug, not a failure mode)."""
    detail = str(exc).strip() or type(exc).__name__
    return SourceError(
        f"{name}: unexpected {type(exc).__name__}: {detail}",
        title="source crashed",
        kind="unknown",
    )


def poll_sources(
    sources: Sequence[Source],
    cache: Cache,
    clock: Clock,
    *,
    timeout: float | None = None,
    intervals: Mapping[str, float] | None = None,
    policy: backoff.BackoffPolicy = backoff.DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    cache_lock: AbstractContextManager[object] | None = None,
) -> list[PollOutcome]:
    """Poll ``sources`` once, concurrently; apply, record health, prune, commit once.

    Args:
        sources: the sources to poll (names unique).
        cache: an open, writable cache.
        clock: the injected clock; its time is the ``now`` every fetch sees.
        timeout: seconds to wait for the slowest fetch; a fetch still running
            then is reported as a timeout (its thread finishes on its own and
            that source is not fetched again until it has).
        intervals: polling interval per source name (default: the source's own).
        policy, rand: the back-off knobs (tests fix ``rand``).
        cache_lock: held only while the cache is read or changed, not during
            the fetches, so polls of different sources from different threads
            (the dashboard) overlap their network time but not their writes.
    Returns:
        One outcome per source, in the order given.
    Raises:
        CacheError: the cache is read-only or could not be written.
    """
    guard = cache_lock if cache_lock is not None else contextlib.nullcontext()
    now = clock()
    intervals = intervals or {}
    fetched: dict[str, _Fetched] = {}
    futures: dict[str, Future[_Fetched]] = {}
    claimed = [s for s in sources if _claim(s)]
    for source in sources:
        if source not in claimed:
            fetched[source.name] = _Fetched(None, _still_running(source.name), 0.0)
    with guard:
        cursors = {source.name: cache.cursor(source.name) for source in claimed}
    for source in claimed:
        futures[source.name] = _start(source, cursors[source.name], now)
    if futures:
        wait(futures.values(), timeout=timeout)
    for name, future in futures.items():
        if future.done():
            fetched[name] = future.result()
        else:
            fetched[name] = _Fetched(None, _timed_out(name, timeout), timeout or 0.0)
    done = clock()
    outcomes = []
    with guard:
        for source in sources:
            interval = intervals.get(source.name, source.default_interval)
            fetch = fetched[source.name]
            outcomes.append(_record(cache, source, fetch, now, done, interval, policy, rand))
        cache.prune(now)
        cache.commit()
    return outcomes


def _still_running(name: str) -> SourceError:
    return SourceError(
        f"{name}: the previous poll has not returned yet; not starting another",
        title="still running",
        kind="timeout",
    )


def _timed_out(name: str, timeout: float | None) -> SourceError:
    return SourceError(f"{name}: no answer within {timeout:g} s", title="timed out", kind="timeout")


def _record(
    cache: Cache,
    source: Source,
    fetched: _Fetched,
    now: datetime,
    done: datetime,
    interval: float,
    policy: backoff.BackoffPolicy,
    rand: Callable[[], float],
) -> PollOutcome:
    """Apply one fetch to the cache and update the source's health."""
    name = source.name
    result, error = fetched.result, fetched.error
    new = 0
    if result is not None:
        result.warnings = as_warnings(result.warnings)
        drop_unusable(result)  # one unusable record costs itself, not the fetch
        try:
            new = cache.apply(name, result, now)
        except ValueError as exc:
            error, result = (
                SourceError(
                    f"{name}: returned data that cannot be stored: {exc}",
                    title="bad data",
                    kind="parse",
                ),
                None,
            )
    health = cache.health().get(name) or SourceHealth(name=name, type=source.type_name)
    health.type = source.type_name or health.type
    health.last_attempt = now
    requests = result.requests if result is not None else _error_requests(error)
    health.requests += requests
    if result is not None:
        health.last_success = now
        health.consecutive_failures = 0
        health.last_records = result.record_count
        health.warnings = result.warnings[:MAX_WARNINGS]
        health.warnings_total = len(result.warnings)
    elif error is not None:
        health.consecutive_failures += 1
        health.last_error = error.message
        health.last_error_title = error.title
        health.last_error_kind = error.kind
        health.last_error_at = done
    health.records = cache.record_count(name)
    health.next_poll = backoff.next_poll(
        done,
        interval,
        health.consecutive_failures,
        error if result is None else None,
        policy=policy,
        rand=rand,
    )
    cache.set_health(health)
    return PollOutcome(
        source=name,
        ok=result is not None,
        records=result.record_count if result is not None else 0,
        new_records=new,
        error=None if result is not None else error,
        duration=fetched.duration,
        requests=requests,
        next_poll=health.next_poll,
        warnings=list(result.warnings) if result is not None else [],
    )


def _error_requests(error: SourceError | None) -> int:
    """Requests a failed fetch made, when the source said (an optional attribute)."""
    count = getattr(error, "requests", 0)
    return count if isinstance(count, int) else 0


class Scheduler:
    """Which sources are due; never one whose previous poll is still running.

    Pure bookkeeping, no threads and no clock of its own: the caller asks
    ``due(now)``, calls ``started(name)`` before launching a poll and
    ``finished(name, outcome)`` when it returns; the next poll time comes from
    the outcome (interval, or back-off after a failure).

    Args:
        intervals: polling interval (seconds) per source name, in display order.
        health: persisted health, so a restart keeps a failing source's back-off.
    """

    def __init__(
        self,
        intervals: Mapping[str, float],
        *,
        health: Mapping[str, SourceHealth] | None = None,
    ) -> None:
        self.intervals = dict(intervals)
        self._next: dict[str, datetime | None] = {}
        self._in_flight: set[str] = set()
        self._again: set[str] = set()
        self._last_now: datetime | None = None
        known = health or {}
        for name in self.intervals:
            found = known.get(name)
            self._next[name] = found.next_poll if found is not None else None

    @property
    def in_flight(self) -> frozenset[str]:
        return frozenset(self._in_flight)

    def next_poll(self, name: str) -> datetime | None:
        """When ``name`` is next due (None: as soon as possible)."""
        return self._next.get(name)

    def due(self, now: datetime) -> list[str]:
        """Sources to poll now: their time has come and they are not in flight."""
        self._last_now = now
        return [
            name
            for name, at in self._next.items()
            if name not in self._in_flight and (at is None or at <= now)
        ]

    def next_wakeup(self) -> datetime | None:
        """The earliest time a source not in flight falls due (None: one is due now
        or every source is in flight)."""
        times = [at for name, at in self._next.items() if name not in self._in_flight]
        if not times or any(at is None for at in times):
            return None
        return min(at for at in times if at is not None)

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
        if outcome is not None and outcome.next_poll is not None:
            self._next[name] = outcome.next_poll
        else:
            base = self._last_now
            interval = self.intervals.get(name, 60.0)
            self._next[name] = None if base is None else backoff.next_poll(base, interval, 0, None)

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
