"""Polling keeps going through every failure, backs off, and writes once a cycle."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import CheckIn, Cursor, FetchResult, RosterRow, TimeEntry
from farwatch.state.backoff import BackoffPolicy, next_poll, retry_delay
from farwatch.state.cache import Cache
from farwatch.state.clock import frozen_clock
from farwatch.state.poller import PollOutcome, fetch_running, poll_sources
from farwatch.state.schedule import Scheduler

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
DAY = 86400.0


class MailSource(Source):
    """Hands out one new check-in per poll and remembers its cursor."""

    type_name = "maildir"
    default_interval = 60.0

    def __init__(self, name: str = "mail", per_poll: int = 1) -> None:
        super().__init__(name, {})
        self.per_poll = per_poll
        self.cursors: list[Cursor] = []

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        self.cursors.append(cursor)
        n = int(cursor.get("n", 0))
        items = [
            CheckIn(f"<{n + i}@x>", "ann@example.com", now, f"update {n + i}")
            for i in range(self.per_poll)
        ]
        return FetchResult(checkins=items, cursor={"n": n + self.per_poll}, requests=2)


class RosterSource(Source):
    type_name = "sheet"

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        rows = [RosterRow(f"w{i}", f"Worker {i}", email=f"w{i}@example.com") for i in range(3)]
        return FetchResult(roster=rows, roster_complete=True, requests=1, warnings=["row 7: bad"])


class FailingSource(Source):
    type_name = "toggl"
    default_interval = 120.0

    def __init__(self, name: str, error: BaseException) -> None:
        super().__init__(name, {})
        self.error = error

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        raise self.error


class HangingSource(Source):
    type_name = "imap"

    def __init__(self, name: str = "hang") -> None:
        super().__init__(name, {})
        self.release = threading.Event()
        self.calls = 0

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        self.calls += 1
        self.release.wait(10)
        return FetchResult(entries=[TimeEntry("e", "u", now, None)])


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    c = Cache.open(tmp_path / "farwatch.db", retention=90 * DAY)
    yield c
    c.close()


# -- poll_sources -------------------------------------------------------------------


def test_one_poll_cycle_fetches_all_sources_and_writes_the_cache_once(cache: Cache) -> None:
    sources: list[Source] = [MailSource(per_poll=500), RosterSource("sheet", {})]
    writes = cache.writes
    outcomes = poll_sources(sources, cache, frozen_clock(NOW))
    assert cache.writes == writes + 1
    assert [(o.source, o.ok, o.records, o.new_records, o.requests) for o in outcomes] == [
        ("mail", True, 500, 500, 2),
        ("sheet", True, 3, 3, 1),
    ]
    assert outcomes[1].warnings == ["row 7: bad"]
    reopened = Cache.open(cache.path, retention=DAY, writer=False)
    assert len(reopened.snapshot().checkins["mail"]) == 500
    assert len(reopened.snapshot().roster["sheet"]) == 3


def test_sources_get_their_stored_cursor_back(cache: Cache) -> None:
    mail = MailSource()
    for _ in range(3):
        poll_sources([mail], cache, frozen_clock(NOW))
    assert mail.cursors == [{}, {"n": 1}, {"n": 2}]
    assert cache.health()["mail"].records == 3


def test_a_crashing_source_is_isolated_and_its_health_recorded(cache: Cache) -> None:
    crash = FailingSource("toggl", KeyError("workspace_id"))
    mail = MailSource()
    outcomes = poll_sources([crash, mail], cache, frozen_clock(NOW), rand=lambda: 0.0)
    bad, good = outcomes
    assert not bad.ok and bad.error is not None
    assert bad.error.kind == "unknown" and bad.error.title == "source crashed"
    assert bad.error.message == "toggl: unexpected KeyError: 'workspace_id'"
    assert good.ok and good.new_records == 1
    health = cache.health()
    assert health["toggl"].consecutive_failures == 1
    assert health["toggl"].last_error == "toggl: unexpected KeyError: 'workspace_id'"
    assert health["toggl"].last_error_at == NOW and health["toggl"].last_success is None
    assert health["toggl"].next_poll == NOW + timedelta(seconds=120)
    assert health["mail"].ok and health["mail"].requests == 2


def test_failures_accumulate_and_a_success_resets_them_keeping_the_last_error(
    cache: Cache,
) -> None:
    src = FailingSource(
        "harvest", SourceError("server said 503", title="server error", kind="server")
    )
    for n in range(1, 4):
        poll_sources([src], cache, frozen_clock(NOW), rand=lambda: 0.0)
        h = cache.health()["harvest"]
        assert h.consecutive_failures == n
        assert h.next_poll == NOW + timedelta(seconds=min(3600, 120 * 2 ** (n - 1)))
    ok = MailSource("harvest")
    poll_sources([ok], cache, frozen_clock(NOW + timedelta(hours=1)))
    h = cache.health()["harvest"]
    assert h.ok and h.consecutive_failures == 0
    assert h.last_error == "server said 503"  # still shown as history
    assert h.last_success == NOW + timedelta(hours=1)


def test_auth_failure_is_not_retried_in_a_tight_loop(cache: Cache) -> None:
    src = FailingSource(
        "clockify",
        SourceError("API key rejected", title="bad credentials", kind="auth", retryable=False),
    )
    [outcome] = poll_sources([src], cache, frozen_clock(NOW))
    assert outcome.next_poll == NOW + timedelta(hours=1)
    assert cache.health()["clockify"].last_error_kind == "auth"


def test_data_that_cannot_be_stored_fails_that_source_only(cache: Cache) -> None:
    class Naive(Source):
        type_name = "timesheet"

        def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
            return FetchResult(checkins=[CheckIn("k", "a", datetime(2024, 1, 1), "naive")])

    bad, good = poll_sources([Naive("ts", {}), MailSource()], cache, frozen_clock(NOW))
    assert not bad.ok and bad.error is not None and bad.error.kind == "parse"
    assert "naive datetime" in bad.error.message
    assert good.ok and cache.record_count("ts") == 0


def test_a_hung_source_times_out_and_is_not_fetched_again_until_it_returns(
    cache: Cache,
) -> None:
    hang = HangingSource()
    started = time.monotonic()
    first = poll_sources([hang, MailSource()], cache, frozen_clock(NOW), deadline=0.2)
    assert time.monotonic() - started < 2
    assert not first[0].ok and first[0].error is not None
    assert first[0].error.kind == "timeout" and first[1].ok
    assert "no complete answer within 0.2 s" in first[0].error.message
    second = poll_sources([hang], cache, frozen_clock(NOW), deadline=0.2)
    assert second[0].error is not None and second[0].error.title == "still running"
    assert hang.calls == 1  # no pile-up of threads on a hung server
    hang.release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        third = poll_sources([hang], cache, frozen_clock(NOW), deadline=5)
        if third[0].ok:
            break
        time.sleep(0.05)
    assert third[0].ok and hang.calls == 2


def test_a_fetch_past_its_deadline_is_abandoned_and_its_late_answer_never_written(
    cache: Cache,
) -> None:
    hang = HangingSource()
    late, mail = poll_sources(
        [hang, MailSource()], cache, frozen_clock(NOW), deadline={"hang": 0.2}, rand=lambda: 0.0
    )
    assert mail.ok and not late.ok and late.error is not None
    assert (
        late.error.message == "hang: no complete answer within 0.2 s (its deadline); gave up on it"
    )
    health = cache.health()["hang"]
    assert health.consecutive_failures == 1 and health.last_error == late.error.message
    assert late.delay == hang.default_interval  # backs off like any failure from here
    hang.release.set()  # the server finally answers, after the poll gave up
    for _ in range(200):
        if not fetch_running(hang):
            break
        time.sleep(0.01)
    assert not fetch_running(hang)
    cache.commit()
    assert cache.snapshot().entries.get("hang", []) == []
    assert cache.record_count("hang") == 0


def test_sources_fetch_concurrently(cache: Cache) -> None:
    class Slow(Source):
        type_name = "imap"

        def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
            time.sleep(0.3)
            return FetchResult()

    started = time.monotonic()
    outcomes = poll_sources([Slow(f"s{i}", {}) for i in range(5)], cache, frozen_clock(NOW))
    assert all(o.ok for o in outcomes)
    assert time.monotonic() - started < 1.2  # 5 x 0.3 s would be 1.5 s in series
    assert all(0.25 < o.duration < 1.0 for o in outcomes)


# -- backoff ------------------------------------------------------------------------


def err(
    kind: str = "server",
    *,
    retryable: bool = True,
    retry_after: float | None = None,
) -> SourceError:
    return SourceError("boom", kind=kind, retryable=retryable, retry_after=retry_after)  # type: ignore[arg-type]


def test_success_waits_one_interval() -> None:
    assert retry_delay(300, 0, None) == 300
    assert next_poll(NOW, 300, 0, None) == NOW + timedelta(seconds=300)


def test_backoff_grows_from_the_interval_and_is_capped() -> None:
    delays = [retry_delay(60, n, err(), rand=lambda: 0.0) for n in range(1, 10)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays[-1] == 3600
    assert delays == sorted(delays)
    # an interval longer than the cap is never shortened by failing
    assert retry_delay(7200, 5, err(), rand=lambda: 0.0) == 7200


@pytest.mark.parametrize("failures", [1, 2, 3, 6, 12])
def test_jitter_stays_within_bounds(failures: int) -> None:
    policy = BackoffPolicy(jitter=0.25)
    base = min(3600.0, 60 * 2.0 ** (failures - 1))
    seen = {
        retry_delay(60, failures, err(), policy=policy, rand=lambda r=r: r)
        for r in (0.0, 0.3, 0.6, 0.999)
    }
    assert all(max(60.0, base * 0.75) <= d <= base for d in seen)
    if failures > 1:
        assert len(seen) > 1  # it does vary


def test_retry_after_is_always_honoured() -> None:
    assert retry_delay(60, 1, err("rate_limited", retry_after=900), rand=lambda: 0.5) == 900
    assert retry_delay(60, 1, err("rate_limited", retry_after=5), rand=lambda: 0.0) == 60
    assert retry_delay(60, 1, err("auth", retryable=False, retry_after=7200)) == 7200


def test_errors_retrying_cannot_fix_wait_long() -> None:
    for kind in ("auth", "not_shared", "config"):
        assert retry_delay(30, 1, err(kind)) == 3600
    assert retry_delay(30, 1, err("parse", retryable=False)) == 3600
    assert retry_delay(5400, 1, err("auth", retryable=False)) == 5400


def test_quota_waits_for_the_server_or_an_hour() -> None:
    assert retry_delay(60, 1, err("quota")) == 3600
    assert retry_delay(60, 1, err("quota", retry_after=1200)) == 1200


def test_absurd_retry_after_is_bounded_to_a_day() -> None:
    assert retry_delay(60, 1, err("rate_limited", retry_after=10**9)) == 86400


# -- scheduler ----------------------------------------------------------------------


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def outcome(name: str, delay: float) -> PollOutcome:
    return PollOutcome(name, True, 0, 0, None, 0.1, 1, delay=delay)


def test_scheduler_never_schedules_a_source_that_is_in_flight() -> None:
    ticks = Ticks()
    sched = Scheduler({"mail": 60, "toggl": 300}, now=NOW, monotonic=ticks)
    assert sched.due(NOW) == ["mail", "toggl"]
    sched.started("mail")
    for _ in range(12):  # a poll that takes an hour
        ticks.advance(300)
        assert "mail" not in sched.due(NOW)
    with pytest.raises(RuntimeError, match="already being polled"):
        sched.started("mail")
    sched.finished("mail", outcome("mail", 60))
    ticks.advance(59)
    assert "mail" not in sched.due(NOW)
    ticks.advance(1)
    assert "mail" in sched.due(NOW)


def test_poll_now_during_a_poll_runs_once_after_it_not_beside_it() -> None:
    sched = Scheduler({"mail": 60}, monotonic=Ticks())
    sched.started("mail")
    sched.poll_now("mail")
    assert sched.due(NOW) == []
    sched.finished("mail", outcome("mail", 60))
    assert sched.due(NOW) == ["mail"]


def test_poll_now_makes_an_idle_source_due() -> None:
    ticks = Ticks()
    sched = Scheduler({"mail": 60}, now=NOW, monotonic=ticks)
    sched.started("mail")
    sched.finished("mail", outcome("mail", 600))
    assert sched.due(NOW) == []
    assert sched.seconds_to_next() == 600
    assert sched.next_poll("mail") == NOW + timedelta(minutes=10)
    sched.poll_now("mail")
    assert sched.due(NOW) == ["mail"]


def test_scheduler_resumes_persisted_backoff(cache: Cache) -> None:
    src = FailingSource("toggl", SourceError("quota", kind="quota", retry_after=1800))
    poll_sources([src], cache, frozen_clock(NOW))
    ticks = Ticks()
    sched = Scheduler({"toggl": 120, "mail": 60}, health=cache.health(), now=NOW, monotonic=ticks)
    ticks.advance(29 * 60)
    assert sched.due(NOW) == ["mail"]
    ticks.advance(60)
    assert sched.due(NOW) == ["toggl", "mail"]


@pytest.mark.parametrize("step", [-7200.0, 7200.0], ids=["clock back 2h", "clock forward 2h"])
def test_a_wall_clock_step_changes_nothing_but_displayed_times(step: float) -> None:
    ticks = Ticks()
    sched = Scheduler({"mail": 60}, now=NOW, monotonic=ticks)
    sched.started("mail")
    sched.finished("mail", outcome("mail", 60))
    stepped = NOW + timedelta(seconds=step)
    assert sched.due(stepped) == []  # a step forward does not make it due early
    ticks.advance(60)
    assert sched.due(stepped) == ["mail"]  # a step back does not hold it up
    sched.started("mail")
    sched.finished("mail", outcome("mail", 60))
    assert sched.next_poll("mail") == stepped + timedelta(seconds=60)


def test_a_persisted_next_poll_far_ahead_is_clamped(cache: Cache) -> None:
    """A ``next_poll`` written while the clock was a year ahead waits one interval
    for a healthy source and the back-off cap for a failing one, not a year."""
    ahead = NOW + timedelta(days=365)
    poll_sources([MailSource()], cache, frozen_clock(ahead))
    poll_sources(
        [FailingSource("toggl", SourceError("down", kind="server"))], cache, frozen_clock(ahead)
    )
    ticks = Ticks()
    sched = Scheduler({"mail": 60, "toggl": 120}, health=cache.health(), now=NOW, monotonic=ticks)
    assert sched.due(NOW) == []
    ticks.advance(60)
    assert sched.due(NOW) == ["mail"]
    ticks.advance(3600 - 60)
    assert sched.due(NOW) == ["mail", "toggl"]


def test_daemon_style_loop_with_threads_never_overlaps_a_source(cache: Cache) -> None:
    """Drive Scheduler + poll_sources as a daemon would: threads, one cache lock."""
    active: dict[str, int] = {}
    overlap: list[str] = []
    lock = threading.Lock()

    class Slow(Source):
        type_name = "imap"
        default_interval = 0.0

        def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
            with lock:
                active[self.name] = active.get(self.name, 0) + 1
                if active[self.name] > 1:
                    overlap.append(self.name)
            time.sleep(0.05)
            with lock:
                active[self.name] -= 1
            return FetchResult()

    sources = {n: Slow(n, {}) for n in ("a", "b")}
    sched = Scheduler({n: 0.0 for n in sources}, now=NOW)
    cache_lock = threading.Lock()
    threads: list[threading.Thread] = []

    def run(name: str) -> None:
        [result] = poll_sources([sources[name]], cache, frozen_clock(NOW), cache_lock=cache_lock)
        finished.append((name, result))

    finished: list[tuple[str, Any]] = []
    deadline = time.monotonic() + 0.6
    results: list[PollOutcome] = []
    while time.monotonic() < deadline:
        while finished:
            name, result = finished.pop()
            results.append(result)
            sched.finished(name, result)
        for name in sched.due(NOW + timedelta(days=1)):
            sched.started(name)
            t = threading.Thread(target=run, args=(name,))
            threads.append(t)
            t.start()
        time.sleep(0.005)
    for t in threads:
        t.join()
    assert overlap == []
    assert len(threads) > 4
    # poll_sources refuses a second fetch of a running source; the scheduler must
    # never even ask for one.
    assert all(o.ok for o in results), [o.error for o in results if o.error]
    assert cache.health()["a"].consecutive_failures == 0
