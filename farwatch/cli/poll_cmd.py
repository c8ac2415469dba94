"""``farwatch poll [--once]``: the headless poller for cron and systemd.

``--once`` polls every source once and exits 0 if at least one succeeded, 1 if
all failed (or none is configured). Without it, polls each source when it is
due, for ever, so dashboards over SSH can attach read-only to a cache this
process keeps fresh; Ctrl-C or SIGTERM stops it cleanly between writes.
Only one process may write the cache: a second poller is told who holds it.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType

import click

from farwatch.actions.autopause import check_auto_pause
from farwatch.cli.common import UserError, config_option, load
from farwatch.cli.engine_ctx import opened_engine
from farwatch.state.config import display_path
from farwatch.state.engine import Engine, EngineError
from farwatch.state.poller import PollOutcome, Scheduler
from farwatch.state.storage import CacheError
from farwatch.state.text import plural, strip_control
from farwatch.state.watch import ChangeWatcher

MAX_SLEEP = 30.0


def outcome_line(outcome: PollOutcome, width: int) -> str:
    """``sheet  ok  12 records (3 new) 0.2s`` or ``imap  FAILED  auth: ...``."""
    name = strip_control(outcome.source).ljust(width)
    if outcome.ok:
        return (
            f"{name}  ok      {plural(outcome.records, 'record')} ({outcome.new_records} new) "
            f"{outcome.duration:.1f}s"
        )
    error = outcome.error
    if error is None:
        return f"{name}  FAILED  unknown error"
    return f"{name}  FAILED  {error.kind}: {strip_control(error.message)}"


def print_outcomes(outcomes: Iterable[PollOutcome], width: int) -> None:
    for outcome in outcomes:
        click.echo(outcome_line(outcome, width))
        for warning in outcome.warnings:
            click.echo(f"{'':{width}}  warning: {strip_control(warning)}")


def _refuse_if_read_only(engine: Engine) -> None:
    if engine.read_only:
        raise UserError(
            f"cannot poll: the cache {display_path(engine.settings.cache.path)} is being "
            f"written by {engine.lock_holder}; stop that process first, or let it do the "
            "polling (a dashboard can attach to its cache read-only)"
        )


@click.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every source once, then exit.")
def poll(once: bool) -> None:
    """Poll the sources and keep the cache fresh (for cron or systemd)."""
    settings = load().settings
    if not settings.sources:
        raise UserError(
            "no sources configured: add [[sources]] tables to "
            f"{display_path(settings.path) if settings.path else 'the config'} "
            "(farwatch init writes examples)"
        )
    with opened_engine(settings, writer=True) as engine:
        _refuse_if_read_only(engine)
        width = max(len(name) for name in engine.sources)
        if once:
            outcomes = engine.poll_all()
            print_outcomes(outcomes, width)
            act_on_caps(engine)
            if not any(o.ok for o in outcomes):
                raise click.exceptions.Exit(1)
            return
        run_forever(engine, width)


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM so the loop unwinds like Ctrl-C
    (a BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it)."""


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise _Stop

    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_forever(engine: Engine, width: int, *, stop: threading.Event | None = None) -> None:
    """Poll each source when due until Ctrl-C, SIGTERM or ``stop`` is set."""
    stop = stop or threading.Event()
    health = {h.name: h for h in engine.health()}
    scheduler = Scheduler(engine.intervals, health=health)
    names = ", ".join(engine.sources)
    click.echo(f"polling {names} into {display_path(engine.settings.cache.path)}; Ctrl-C stops")
    changed: queue.SimpleQueue[str] = queue.SimpleQueue()
    watcher = ChangeWatcher(engine.sources, changed.put)
    watched = watcher.start()
    if watched:
        click.echo(f"watching {', '.join(watched)} for new mail (IMAP IDLE)")
    try:
        with _sigterm_stops():
            while not stop.is_set():
                _drain(changed, scheduler)
                now = engine.clock()
                due = scheduler.due(now)
                for name in due:
                    _poll_one(engine, scheduler, name, width)
                if not due:
                    _sleep(stop, changed, _sleep_for(scheduler, now))
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        watcher.stop()
    click.echo("stopped")


def _drain(changed: queue.SimpleQueue[str], scheduler: Scheduler) -> None:
    """Sources that reported news since the last look are due now."""
    while True:
        try:
            scheduler.poll_now(changed.get_nowait())
        except queue.Empty:
            return


def _sleep(stop: threading.Event, changed: queue.SimpleQueue[str], seconds: float) -> None:
    """Wait until the next poll is due, a source reports news, or we are stopped."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and changed.empty():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        stop.wait(min(left, 0.25))


def _poll_one(engine: Engine, scheduler: Scheduler, name: str, width: int) -> None:
    """Poll one source; a failure to save is reported and retried, never fatal."""
    scheduler.started(name)
    outcome: PollOutcome | None = None
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    try:
        outcome = engine.poll_source(name)
    except (EngineError, CacheError, OSError) as exc:
        click.echo(f"{stamp}  {name.ljust(width)}  FAILED  {strip_control(str(exc))}", err=True)
    finally:
        scheduler.finished(name, outcome)
    if outcome is not None:
        click.echo(f"{stamp}  {outcome_line(outcome, width)}")
        if outcome.ok:
            act_on_caps(engine)


def act_on_caps(engine: Engine) -> None:
    """Record cap crossings and auto-pause (when the policy says so) after a poll."""
    try:
        events = check_auto_pause(engine)
    except Exception as exc:  # acting on caps must never stop the poller
        click.echo(f"farwatch: auto-pause check failed: {strip_control(str(exc))}", err=True)
        return
    for event in events:
        who = strip_control(event.worker)
        click.echo(f"{event.action}: {who} {strip_control(event.message)}".rstrip())


def _sleep_for(scheduler: Scheduler, now: datetime) -> float:
    wakeup = scheduler.next_wakeup()
    if wakeup is None:
        return 0.2
    return min(MAX_SLEEP, max(0.2, (wakeup - now).total_seconds()))
