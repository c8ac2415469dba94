"""``farwatch poll [--once]``: the headless poller for cron and systemd.

``--once`` polls every source once, concurrently, and exits 0 if at least one
succeeded, 1 if all failed (or none is configured); a source still fetching at
its deadline is reported failed while every other source's data is saved, so
it always ends within the largest deadline. Stopped (SIGTERM, SIGHUP, Ctrl-C)
while some sources still fetch, it saves those that answered, reports the
rest stopped and exits 128 + the signal number. Without it, polls each source when
it is due, for ever, each in a thread of its own so a hung source never delays
another, so dashboards over SSH can attach read-only to a cache this process
keeps fresh. Ctrl-C, SIGTERM or SIGHUP stop either at once, whatever a fetch
is doing (a hung fetch's daemon thread never holds the exit, nor the cache
lock). Only one process may write the cache: a second poller is told who
holds it.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from types import FrameType

import click

from farwatch.actions.autopause import check_auto_pause
from farwatch.cli.common import UserError, config_option, load
from farwatch.cli.engine_ctx import opened_engine
from farwatch.state.config import display_path
from farwatch.state.engine import Engine, EngineError
from farwatch.state.poller import PollOutcome
from farwatch.state.schedule import Scheduler
from farwatch.state.storage import CacheError
from farwatch.state.text import plural, strip_control
from farwatch.state.watch import ChangeWatcher

MAX_SLEEP = 30.0
STOP_GRACE = 1.0
"""Seconds a stopping daemon lets polls already running finish and save."""


def outcome_line(outcome: PollOutcome, width: int) -> str:
    """``sheet  ok  12 records (3 new) 0.2s`` or ``imap  FAILED  auth: ...``."""
    name = strip_control(outcome.source).ljust(width)
    if outcome.ok:
        return (
            f"{name}  ok      {plural(outcome.records, 'record')} ({outcome.new_records} new) "
            f"{outcome.duration:.1f}s"
        )
    error = outcome.error
    if outcome.stopped:
        return f"{name}  STOPPED no answer before the poll was stopped; nothing of it saved"
    if error is None:
        return f"{name}  FAILED  unknown error"
    return f"{name}  FAILED  {error.kind}: {strip_control(error.message)}"


def print_outcomes(outcomes: Iterable[PollOutcome], width: int) -> None:
    for outcome in outcomes:
        click.echo(outcome_line(outcome, width))
        for warning in outcome.warnings:
            click.echo(f"{'':{width}}  warning: {strip_control(warning.text)}")


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
            poll_once(engine, width)
            return
        run_forever(engine, width)


def poll_once(engine: Engine, width: int) -> None:
    """One concurrent poll. A stop (SIGTERM, SIGHUP, Ctrl-C) while sources are still
    fetching saves the ones that answered, reports the rest stopped and exits
    128 + the signal's number; a second stop while saving leaves at once."""
    stop = threading.Event()
    signals: list[int] = []
    try:
        with _stop_sets(stop, signals):
            outcomes = engine.poll_all(stop=stop)
    except (KeyboardInterrupt, _Stop):
        click.echo("stopped again while saving; the cache keeps its last good copy", err=True)
        raise click.exceptions.Exit(1) from None
    print_outcomes(outcomes, width)
    if signals:
        waiting = [o.source for o in outcomes if o.stopped]
        saved = sum(1 for o in outcomes if not o.stopped)
        click.echo(
            f"stopped by {signal.Signals(signals[0]).name}: saved the {plural(saved, 'source')} "
            f"that had answered; not saved: {', '.join(waiting) or 'none'}",
            err=True,
        )
        raise click.exceptions.Exit(128 + signals[0])
    act_on_caps(engine)
    keep_cadence(engine)
    if not any(o.ok for o in outcomes):
        raise click.exceptions.Exit(1)


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM or SIGHUP so the loop unwinds like Ctrl-C
    (a BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it)."""


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


Handler = Callable[[int, FrameType | None], None]


@contextmanager
def _handling(signals: Iterable[int], handler: Handler) -> Iterator[None]:
    """``handler`` for ``signals`` inside the block (main thread only), then the old ones."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _sigterm_stops() -> AbstractContextManager[None]:
    """SIGTERM and SIGHUP raise ``_Stop``, so the daemon unwinds as on Ctrl-C."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise _Stop

    return _handling(STOP_SIGNALS, handler)


def _stop_sets(stop: threading.Event, signals: list[int]) -> AbstractContextManager[None]:
    """The first SIGTERM, SIGHUP or SIGINT sets ``stop`` (and is noted in
    ``signals``); a second one raises, like a plain Ctrl-C."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise _Stop
        signals.append(signum)
        stop.set()

    return _handling((*STOP_SIGNALS, signal.SIGINT), handler)


_Done = tuple[str, PollOutcome | None, str | None]
"""A finished poll: source name, its outcome (None: the poll itself failed), error text."""


CADENCE_EVERY = 30.0
"""Seconds between looks for due reminders when no source is due (minute precision)."""


def run_forever(engine: Engine, width: int, *, stop: threading.Event | None = None) -> None:
    """Poll each source when due, each in its own thread, until Ctrl-C, SIGTERM,
    SIGHUP or ``stop`` is set. Never waits for a running poll to stop."""
    stop = stop or threading.Event()
    health = {h.name: h for h in engine.health()}
    scheduler = Scheduler(engine.intervals, health=health, now=engine.clock())
    names = ", ".join(engine.sources)
    click.echo(f"polling {names} into {display_path(engine.settings.cache.path)}; Ctrl-C stops")
    wake = threading.Event()
    changed: queue.SimpleQueue[str] = queue.SimpleQueue()
    finished: queue.SimpleQueue[_Done] = queue.SimpleQueue()

    def on_change(name: str) -> None:
        changed.put(name)
        wake.set()

    cadence = _CadenceRunner(engine)
    watcher = ChangeWatcher(engine.sources, on_change)
    watched = watcher.start()
    if watched:
        click.echo(f"watching {', '.join(watched)} for new mail (IMAP IDLE)")
    try:
        with _sigterm_stops():
            while not stop.is_set():
                wake.clear()
                _drain(changed, scheduler)
                _report(engine, scheduler, finished, width)
                for name in scheduler.due(engine.clock()):
                    scheduler.started(name)
                    _spawn(engine, name, finished, wake)
                cadence.maybe_start()
                _sleep(stop, wake, min(CADENCE_EVERY, _sleep_for(scheduler)))
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        watcher.stop()
    _finish_in_flight(engine, scheduler, finished, wake, width)
    click.echo("stopped")


def _finish_in_flight(
    engine: Engine,
    scheduler: Scheduler,
    finished: queue.SimpleQueue[_Done],
    wake: threading.Event,
    width: int,
) -> None:
    """Give polls already running ``STOP_GRACE`` seconds to save; a hung one is left
    to die with the process (it holds no lock). A second Ctrl-C cuts this short."""
    deadline = time.monotonic() + STOP_GRACE
    with contextlib.suppress(KeyboardInterrupt, _Stop), _sigterm_stops():
        while scheduler.in_flight and time.monotonic() < deadline:
            wake.clear()
            _report(engine, scheduler, finished, width)
            if scheduler.in_flight:
                wake.wait(max(0.0, min(0.1, deadline - time.monotonic())))
    if scheduler.in_flight:
        names = ", ".join(sorted(scheduler.in_flight))
        click.echo(f"stopping without waiting for {names} (still fetching)", err=True)


def _drain(changed: queue.SimpleQueue[str], scheduler: Scheduler) -> None:
    """Sources that reported news since the last look are due now."""
    while True:
        try:
            scheduler.poll_now(changed.get_nowait())
        except queue.Empty:
            return


def _sleep(stop: threading.Event, wake: threading.Event, seconds: float) -> None:
    """Wait until the next poll is due, a poll finishes, a source reports news, or
    we are stopped (short waits, so signals are handled at once)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and not wake.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        wake.wait(min(left, 0.25))


def _spawn(
    engine: Engine, name: str, finished: queue.SimpleQueue[_Done], wake: threading.Event
) -> None:
    """Poll one source in a daemon thread; its result comes back through ``finished``."""

    def run() -> None:
        outcome: PollOutcome | None = None
        error: str | None = None
        try:
            outcome = engine.poll_source(name)
        except (EngineError, CacheError, OSError) as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # a poll must never kill the daemon
            error = f"unexpected {type(exc).__name__}: {exc}"
        finished.put((name, outcome, error))
        wake.set()

    threading.Thread(target=run, name=f"farwatch-poll {name}", daemon=True).start()


def _report(
    engine: Engine, scheduler: Scheduler, finished: queue.SimpleQueue[_Done], width: int
) -> None:
    """Main thread: print finished polls, schedule their next one, act on caps."""
    while True:
        try:
            name, outcome, error = finished.get_nowait()
        except queue.Empty:
            return
        scheduler.finished(name, outcome)
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        if outcome is None:
            text = strip_control(error or "unknown error")
            click.echo(f"{stamp}  {name.ljust(width)}  FAILED  {text}", err=True)
            continue
        click.echo(f"{stamp}  {outcome_line(outcome, width)}")
        if outcome.ok:
            act_on_caps(engine)


class _CadenceRunner:
    """Runs ``keep_cadence`` in one background thread at most every ``CADENCE_EVERY``
    seconds, so sending a reminder never holds up polling or quitting."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.thread: threading.Thread | None = None
        self.last = -CADENCE_EVERY

    def maybe_start(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        if time.monotonic() - self.last < CADENCE_EVERY:
            return
        self.last = time.monotonic()
        self.thread = threading.Thread(
            target=keep_cadence, args=(self.engine,), name="farwatch-cadence", daemon=True
        )
        self.thread.start()


def keep_cadence(engine: Engine) -> None:
    """Automatic reminders and the owner's digest/alerts, each sent exactly once."""
    from farwatch.actions.cadence import run_reminders
    from farwatch.actions.owner_outbox import deliver_owner_messages, queue_digest_if_due

    try:
        for event in run_reminders(engine):
            if event.outcome == "intent":
                click.echo(
                    f"auto_ping: {strip_control(event.worker)} {strip_control(event.detail)}"
                )
        queue_digest_if_due(engine)
        deliver_owner_messages(engine)
    except Exception as exc:  # reminders must never stop the poller
        click.echo(f"farwatch: automatic reminders failed: {strip_control(str(exc))}", err=True)


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


def _sleep_for(scheduler: Scheduler) -> float:
    seconds = scheduler.seconds_to_next()
    if seconds is None:  # every source is polling: a finished poll wakes us
        return MAX_SLEEP
    return min(MAX_SLEEP, max(0.05, seconds))
