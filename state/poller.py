"""Polling: run sources' fetches concurrently, store what they return, keep health.

``poll_sources`` is one poll cycle: every given source fetches in its own
(daemon) thread, the results go into the cache, each source's health (last success,
last error, failures, next poll, requests) is updated, old records are pruned,
and the cache is written once. A source that raises anything at all becomes a
failed outcome with plain words; it never takes the poller down.

Every fetch has a wall-clock deadline (``farwatch.state.deadline``), enforced
here and nowhere else, for built-in and plugin sources alike. A fetch still
running at its deadline is abandoned: the source is reported failed ("no
complete answer within N s") and backs off like any failure; whatever the
thread returns later is dropped, never written; and that source is not
fetched again until the thread has returned, so a hung server holds at most
one thread. The cache lock is never held during a fetch.

``farwatch.state.schedule.Scheduler`` decides when each source is due.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import MAX_WARNINGS, Cursor, FetchResult, SourceWarning, as_warnings
from farwatch.state import backoff
from farwatch.state.cache import Cache
from farwatch.state.clock import Clock
from farwatch.state.deadline import default_deadline
from farwatch.state.fetch_check import drop_unusable, warn_future
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
    delay: float | None = None
    """Seconds from the end of this poll to the next one (what schedulers count on a
    monotonic clock; ``next_poll`` is the same instant on the wall clock, for display)."""
    warnings: list[SourceWarning] = field(default_factory=list)
    """Non-fatal problems the source reported (bad rows, unmatched senders, ...)."""
    stopped: bool = False
    """The poll was stopped (SIGTERM, Ctrl-C) before this source answered: nothing of
    it was saved and its health is untouched (a stop is not the source's failure)."""


# Sources whose fetch thread is still running (possibly abandoned at its deadline);
# they are not fetched again until it returns, so a hung server cannot pile up threads.
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


def fetch_running(source: Source) -> bool:
    """Whether a fetch of ``source`` (perhaps one abandoned at its deadline) still runs."""
    with _running_lock:
        return id(source) in _running


def _start(source: Source, cursor: Cursor, now: datetime) -> Future[_Fetched]:
    """Fetch in a daemon thread: a fetch hung past its deadline must not keep the
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
    deadline: float | Mapping[str, float] | None = None,
    intervals: Mapping[str, float] | None = None,
    policy: backoff.BackoffPolicy = backoff.DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    cache_lock: AbstractContextManager[object] | None = None,
    stop: threading.Event | None = None,
) -> list[PollOutcome]:
    """Poll ``sources`` once, concurrently; apply, record health, prune, commit once.

    Returns when every fetch has finished or passed its deadline, so within the
    largest deadline, or soon after ``stop`` is set: then the sources that had
    answered are saved as usual (their answers are complete) and the others
    are outcomes marked ``stopped``, with nothing of them written.

    Args:
        sources: the sources to poll (names unique).
        cache: an open, writable cache.
        clock: the injected clock; its time is the ``now`` every fetch sees.
        deadline: wall-clock seconds a fetch may take, for every source or per
            source name; a source without one gets ``default_deadline``.
        intervals: polling interval per source name (default: the source's own).
        policy, rand: the back-off knobs (tests fix ``rand``).
        cache_lock: held only while the cache is read or changed, not during
            the fetches, so polls of different sources from different threads
            (the dashboard) overlap their network time but not their writes.
        stop: set (by a signal handler) to stop waiting for the fetches.
    Returns:
        One outcome per source, in the order given.
    Raises:
        CacheError: the cache is read-only or could not be written.
    """
    guard = cache_lock if cache_lock is not None else contextlib.nullcontext()
    now = clock()
    intervals = intervals or {}
    fetched: dict[str, _Fetched] = {}
    claimed = [s for s in sources if _claim(s)]
    for source in sources:
        if source not in claimed:
            fetched[source.name] = _Fetched(None, _still_running(source.name), 0.0)
    try:
        with guard:
            cursors = {source.name: cache.cursor(source.name) for source in claimed}
    except BaseException:
        for source in claimed:
            _release(source)
        raise
    started = time.monotonic()
    limits = {source.name: _deadline_of(source, deadline) for source in claimed}
    futures = {source.name: _start(source, cursors[source.name], now) for source in claimed}
    stopped: dict[str, float] = {}
    for name in sorted(futures, key=limits.__getitem__):
        until = started + limits[name]
        if _wait_unless_stopped(futures[name], until, stop):
            fetched[name] = _result_by(futures[name], until, name, limits[name])
        else:
            stopped[name] = time.monotonic() - started
    done = clock()
    outcomes = []
    with guard:
        for source in sources:
            if source.name in stopped:
                outcomes.append(_stopped(source.name, stopped[source.name]))
                continue
            interval = intervals.get(source.name, source.default_interval)
            fetch = fetched[source.name]
            outcomes.append(_record(cache, source, fetch, now, done, interval, policy, rand))
        cache.prune(now)
        cache.commit()
    return outcomes


def _deadline_of(source: Source, deadline: float | Mapping[str, float] | None) -> float:
    if isinstance(deadline, int | float):
        return float(deadline)
    chosen = deadline.get(source.name) if deadline is not None else None
    return chosen if chosen is not None else default_deadline(source)


def _result_by(future: Future[_Fetched], until: float, name: str, limit: float) -> _Fetched:
    """The fetch's result if it arrives before ``until`` (monotonic); else it is
    abandoned: this future is dropped, so nothing it returns can be written."""
    try:
        return future.result(timeout=max(0.0, until - time.monotonic()))
    except TimeoutError:
        return _Fetched(None, _past_deadline(name, limit), limit)


def _wait_unless_stopped(
    future: Future[_Fetched], until: float, stop: threading.Event | None
) -> bool:
    """Wait for ``future`` until ``until`` (monotonic); False if ``stop`` came first.

    Waits in short slices when a stop can come: a signal handler only sets the
    event, and a blocked wait would not look at it again until its timeout.
    """
    if stop is None:
        return True
    while not future.done() and not stop.is_set():
        left = until - time.monotonic()
        if left <= 0:
            return True  # past the deadline: reported as such, not as stopped
        with contextlib.suppress(TimeoutError):
            future.result(timeout=min(left, STOP_CHECK))
    return future.done() or not stop.is_set()


STOP_CHECK = 0.1
"""Seconds between looks at the stop event while fetches run."""


def _stopped(name: str, elapsed: float) -> PollOutcome:
    error = SourceError(
        f"{name}: stopped before it answered; nothing of it saved",
        title="stopped",
        kind="timeout",
    )
    return PollOutcome(name, False, 0, 0, error, elapsed, 0, stopped=True)


def _still_running(name: str) -> SourceError:
    return SourceError(
        f"{name}: the previous poll has not returned yet; not starting another",
        title="still running",
        kind="timeout",
    )


def _past_deadline(name: str, limit: float) -> SourceError:
    return SourceError(
        f"{name}: no complete answer within {limit:g} s (its deadline); gave up on it",
        title="deadline passed",
        kind="timeout",
    )


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
        warn_future(result, now)
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
    delay = backoff.retry_delay(
        interval,
        health.consecutive_failures,
        error if result is None else None,
        policy=policy,
        rand=rand,
    )
    health.next_poll = done + timedelta(seconds=delay)
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
        delay=delay,
        warnings=list(result.warnings) if result is not None else [],
    )


def _error_requests(error: SourceError | None) -> int:
    """Requests a failed fetch made, when the source said (an optional attribute)."""
    count = getattr(error, "requests", 0)
    return count if isinstance(count, int) else 0
