"""When to poll a source next: the retry policy, as a pure function.

The trackers' free plans allow about 30 requests an hour, so a failing source
must slow down rather than hammer: failures back off exponentially from the
source's interval up to a cap, with jitter so several sources that failed
together (the network went down) do not retry in lock-step. Errors that
polling again cannot fix (bad credentials, a sheet that is not shared, bad
config) wait long; a quota (Toggl's 402) waits for the server's word or an hour.
A server's ``Retry-After`` is always honoured.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from farwatch.sources.base import MAX_RETRY_AFTER, SourceError

NON_RETRYABLE_KINDS = frozenset({"auth", "not_shared", "config"})


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """The knobs, with defaults fit for rate-limited SaaS APIs."""

    cap: float = 3600.0
    """Longest wait between retries of a failing source (raised to its interval)."""
    factor: float = 2.0
    """Growth of the wait per consecutive failure."""
    jitter: float = 0.25
    """Up to this fraction is taken off a wait at random (never below the interval)."""
    long_wait: float = 3600.0
    """Wait after an error that retrying cannot fix (auth, not shared, config)."""
    quota_wait: float = 3600.0
    """Wait after a quota error when the server did not say how long."""
    max_retry_after: float = MAX_RETRY_AFTER
    """A Retry-After beyond this is treated as this (a broken header must not mute
    a source for weeks)."""


DEFAULT_POLICY = BackoffPolicy()


def retry_delay(
    interval: float,
    failures: int,
    error: SourceError | None,
    *,
    policy: BackoffPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next poll.

    Args:
        interval: the source's normal polling interval, in seconds.
        failures: consecutive failures including this one (0 after a success).
        error: the error of the poll that just ended, or None on success.
        policy: the knobs.
        rand: a uniform [0, 1) source; tests pass a fixed one.
    """
    interval = max(0.0, interval)
    if error is None or failures <= 0:
        return interval
    retry_after = min(max(0.0, error.retry_after or 0.0), policy.max_retry_after)
    if error.kind == "quota":
        delay = retry_after if error.retry_after is not None else policy.quota_wait
        return max(delay, interval)
    if not error.retryable or error.kind in NON_RETRYABLE_KINDS:
        return max(policy.long_wait, interval, retry_after)
    cap = max(policy.cap, interval)
    steps = min(failures - 1, 64)  # 2**64 * interval is past any cap already
    base = min(cap, interval * policy.factor**steps)
    jittered = base * (1.0 - policy.jitter * min(max(rand(), 0.0), 1.0))
    return max(interval, jittered, retry_after)


def next_poll(
    now: datetime,
    interval: float,
    failures: int,
    error: SourceError | None,
    *,
    policy: BackoffPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """The instant of the next poll (see ``retry_delay``)."""
    delay = retry_delay(interval, failures, error, policy=policy, rand=rand)
    return now + timedelta(seconds=delay)
