"""Polling and reloading off the main thread.

Each due source is polled in a daemon thread of its own; when it finishes,
that thread derives fresh statuses (still off the main thread) and posts one
``DataReady``. The Textual worker that waits for it is async, not a thread
worker: a fetch stuck in a dead connection must never be a thread the app
joins at exit (``shutdown_default_executor``), so ``q`` quits at once. The
scheduler is told when a poll starts and finishes, so a source is never
polled twice at once and its next poll is counted from the end of the previous
one: a slow source cannot pile up. When another process owns the cache, the
dashboard only reloads the file on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import Reminder
from farwatch.state.engine_api import EngineLike
from farwatch.state.poller import PollOutcome
from farwatch.state.schedule import Scheduler
from farwatch.state.snapshot import SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.state.watch import ChangeWatcher
from farwatch.tui.engine_api import SchedulerLike
from farwatch.tui.messages import DataReady

if TYPE_CHECKING:
    from textual.app import App

    from farwatch.state.pay import CurrencyTotal
    from farwatch.state.snapshot import CacheSnapshot

CHECK_EVERY = 1.0
"""Seconds between asking the scheduler what is due (cheap; no I/O)."""
CADENCE_EVERY = 30.0
"""Seconds between looks for due automatic reminders (minute precision)."""
RELOAD_EVERY = 5.0
"""Seconds between cache reloads in read-only mode."""


def default_scheduler(
    engine: EngineLike, known: list[SourceHealth] | None = None
) -> SchedulerLike | None:
    """The state package's scheduler over the engine's sources.

    ``known`` is each source's health as the dashboard already read it, so
    building the scheduler reads nothing again (None: ask the engine).
    """
    intervals = dict(engine.intervals)
    for name, source in engine.sources.items():
        intervals.setdefault(name, source.default_interval)
    if known is None:
        try:
            known = engine.health()
        except Exception:  # no readable health yet: every source is due at once
            known = []
    scheduler: SchedulerLike = Scheduler(
        intervals, health={h.name: h for h in known}, now=engine.clock()
    )
    return scheduler


class PollLoop:
    """Drives polls (writer) or reloads (read-only) for one app."""

    def __init__(
        self,
        app: App[Any],
        engine: EngineLike,
        scheduler: SchedulerLike | None,
        *,
        own_scheduler: bool = False,
    ) -> None:
        self.app = app
        self.engine = engine
        self.scheduler = scheduler
        self.own_scheduler = own_scheduler
        """Build the default scheduler at ``start``, from the health already shown."""
        self.running: set[str] = set()
        self.watcher: ChangeWatcher | None = None
        self.cadence_busy = False

    def start(self, known: list[SourceHealth] | None = None) -> None:
        """Start polling (or reloading); ``known`` is the sources' health on screen."""
        if self.scheduler is None and self.own_scheduler:
            self.scheduler = default_scheduler(self.engine, known)
        settings = self.engine.settings
        if settings.policy.auto_nudge or settings.digest.channels:
            # Read-only dashboards too: whoever looks first sends, once (actions.cadence).
            self.app.set_interval(CADENCE_EVERY, self.cadence, name="cadence")
        if self.engine.read_only:
            self.app.set_interval(RELOAD_EVERY, self.reload, name="reload")
        elif self.scheduler is not None:
            self.app.set_interval(CHECK_EVERY, self.kick, name="poll-check")
            self.kick()
            self._watch()

    def _watch(self) -> None:
        """Poll a source as soon as it reports news (IMAP IDLE), not at its interval."""

        def changed(name: str) -> None:
            self.app.call_from_thread(self.poll_now, [name])

        self.watcher = ChangeWatcher(self.engine.sources, changed)
        self.watcher.start()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def kick(self) -> None:
        """Start a worker for every due source that is not already polling."""
        if self.scheduler is None or self.engine.read_only:
            return
        for name in self.scheduler.due(self.engine.clock()):
            self._start(name)

    def poll_now(self, names: Iterable[str] | None = None) -> list[str]:
        """Poll these sources (all by default) now; returns the ones started."""
        if self.engine.read_only:
            return []
        wanted = list(names) if names is not None else list(self.engine.sources)
        started = []
        for name in wanted:
            if self.scheduler is not None:
                self.scheduler.poll_now(name)
            if self._start(name):
                started.append(name)
        return started

    def finished(self, message: DataReady) -> None:
        """Main thread: a poll worker reported back; tell the scheduler, look again."""
        if message.source is None:
            return
        self.running.discard(message.source)
        if self.scheduler is not None:
            self.scheduler.finished(message.source, message.outcome)
        self.kick()

    def cadence(self) -> None:
        """Look for due automatic reminders and owner messages, off the UI thread
        (one look at a time: a slow mail server never piles them up)."""
        if self.cadence_busy:
            return
        self.cadence_busy = True
        self.app.run_worker(
            in_daemon_thread(self._keep_cadence, "farwatch-cadence"),
            group="cadence",
            exclusive=False,
        )

    def reload(self) -> None:
        self.app.run_worker(self._reload_in_thread, thread=True, group="reload", exclusive=True)

    def rederive(self) -> None:
        """Re-derive statuses at the current time (levels move with the clock)."""
        self.app.run_worker(self._derive_in_thread, thread=True, group="derive", exclusive=True)

    # -- worker threads --------------------------------------------------

    def _start(self, name: str) -> bool:
        if name in self.running:
            return False
        self.running.add(name)
        if self.scheduler is not None:
            self.scheduler.started(name)
        self.app.run_worker(
            in_daemon_thread(partial(self._poll_in_thread, name), f"farwatch-poll {name}"),
            name=f"poll {name}",
            group="poll",
            exit_on_error=False,
        )
        return True

    def _poll_in_thread(self, name: str) -> None:
        outcome: PollOutcome | None = None
        error: str | None = None
        try:
            outcome = self.engine.poll_source(name)
        except Exception as exc:  # the engine refused (read-only, unknown source)
            error = str(exc) or type(exc).__name__
        if outcome is not None and outcome.ok:
            self._act_on_caps()
        self._post(source=name, outcome=outcome, error=error)

    def _act_on_caps(self) -> None:
        """Auto-pause at the cap (when the policy says so) and tell the owner."""
        try:
            from farwatch.actions.autopause import check_auto_pause

            events = check_auto_pause(self.engine)
        except Exception as exc:  # acting on caps must never stop polling
            self.app.call_from_thread(
                self.app.notify, f"auto-pause check failed: {exc}", severity="error", markup=False
            )
            return
        for event in events:
            if event.action == "auto_pause":
                name = self._name_of(event.worker)
                self.app.call_from_thread(
                    self.app.notify,
                    f"Auto-paused {name}: reached the cap",
                    title="auto-pause",
                    severity="warning",
                    markup=False,
                )

    def _keep_cadence(self) -> None:
        """Automatic reminders and the owner's digest, exactly once across processes."""
        try:
            self._send_due()
        finally:
            self.cadence_busy = False

    def _send_due(self) -> None:
        try:
            from farwatch.actions.cadence import run_reminders
            from farwatch.actions.owner_outbox import deliver_owner_messages, queue_digest_if_due

            run_reminders(self.engine)
            queue_digest_if_due(self.engine)
            deliver_owner_messages(self.engine)
        except Exception as exc:  # reminders must never stop polling
            self.app.call_from_thread(
                self.app.notify,
                f"automatic reminders failed: {exc}",
                severity="error",
                markup=False,
            )

    def _name_of(self, worker_id: str) -> str:
        from farwatch.state.text import strip_control

        # The app's rows may predate this poll (a worker new in the roster), so
        # ask the engine; this runs only when someone was just auto-paused.
        names = {s.id: s.name for s in self.engine.statuses()}
        return strip_control(names.get(worker_id) or worker_id)

    def _reload_in_thread(self) -> None:
        try:
            changed = self.engine.reload()
        except Exception as exc:
            self.app.post_message(DataReady(None, None, self.engine.clock(), error=str(exc)))
            return
        if changed:
            self._post()

    def _derive_in_thread(self) -> None:
        self._post()

    def _post(self, **extra: Any) -> None:
        now: datetime = self.engine.clock()
        try:
            refresh = self.engine.refresh(now)
        except Exception as exc:
            message = DataReady(None, None, now, **extra)
            message.error = message.error or f"could not read the cache: {exc}"
            self.app.post_message(message)
            return
        entries = read_audit(self.engine.settings.audit_file)
        reminders = next_reminders(self.engine, refresh.statuses, now)
        pay = payable_totals(self.engine, refresh.snapshot, refresh.statuses, now)
        self.app.post_message(
            DataReady(
                refresh.statuses,
                refresh.health,
                now,
                snapshot=refresh.snapshot,
                audit=entries,
                reminders=reminders,
                pay=pay,
                **extra,
            )
        )


def next_reminders(
    engine: EngineLike, statuses: list[WorkerStatus], now: datetime
) -> list[Reminder] | None:
    """Who will be reminded automatically next (None when that cannot be worked out)."""
    from farwatch.actions.cadence import upcoming

    try:
        return upcoming(engine, statuses, now)
    except Exception:  # the header simply shows no forecast
        return None


def payable_totals(
    engine: EngineLike, snapshot: CacheSnapshot, statuses: list[WorkerStatus], now: datetime
) -> tuple[CurrencyTotal, ...] | None:
    """This period's payable totals per currency, as ``farwatch pay`` computes them
    (None when they cannot be worked out: the header then shows none).

    With no rate on the roster there is no amount to show, and pricing every
    worker's hours once a minute would cost half as much again as judging them.
    """
    if all(s.rate is None for s in statuses):
        return ()
    from farwatch.state.pay import pay_report

    try:
        return pay_report(snapshot, statuses, engine.settings, now).totals
    except Exception:
        return None


def read_audit(path: Path) -> list[AuditEntry]:
    """Audit entries newest first (empty when the log is missing or unreadable)."""
    try:
        return audit.read_entries(path)
    except OSError:
        return []


async def in_daemon_thread(work: Callable[[], None], name: str) -> None:
    """Run ``work`` in a daemon thread and wait for it without occupying a thread of
    the event loop's executor: quitting cancels this wait and leaves the thread to
    die with the process."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finish(future: asyncio.Future[None]) -> None:
        if not future.done():
            future.set_result(None)

    def run() -> None:
        try:
            work()
        finally:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits now
                loop.call_soon_threadsafe(finish, done)

    threading.Thread(target=run, name=name, daemon=True).start()
    await done
