"""Keep the demo team alive: new check-in emails arrive and timers start and stop.

A background thread wakes every 10-20 seconds and makes one change to the demo
files, exactly as the outside world would change a real owner's files: it
delivers a new email into the Maildir, or rewrites the time log (temp file +
``os.replace``, like a tracker export) with a timer started or stopped. The
dashboard notices through its ordinary polls, so it visibly moves within a
minute. The stale, off-hours, never-seen and paused workers are left alone, so
the demo keeps showing every state while it runs.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from farwatch.demo.inbox import InboxMessage
from farwatch.demo.messages import DemoCheckin, compose
from farwatch.demo.people import Kind, Role
from farwatch.demo.team import DEFAULT_SEED, DemoEntry, DemoTeam, DemoWorker, last_month_name
from farwatch.demo.writer import DemoPaths, Mailroom, write_timesheet
from farwatch.state import audit
from farwatch.state.clock import Clock, system_clock

EventKind = Literal["checkin", "reply", "timer_start", "timer_stop", "idle"]

FIRST_DELAY = 5.0
"""Seconds before the first change, so the dashboard moves right away."""
DELAY = (10.0, 20.0)
"""Seconds between later changes."""
REPLY_DELAY = (4.0, 9.0)
"""Seconds a pinged worker takes to write back."""

_CHECKIN_WEIGHT: dict[Role, int] = {"fresh": 4, "near_cap": 2, "over_cap": 2}
"""Who may write in, and how often; the stale, off-hours, never-seen and paused
workers stay as they are, so the demo shows every state for as long as it runs."""
_TIMER_ROLES: frozenset[Role] = frozenset({"fresh"})
_KINDS: tuple[Kind, ...] = ("checkin", "done", "blocked", "question")
_KIND_WEIGHTS = (72, 18, 5, 5)


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One change the simulator made."""

    kind: EventKind
    worker_id: str = ""
    at: datetime | None = None
    detail: str = ""


class Simulator:
    """Makes the demo team's files change over time.

    ``step`` makes one change now; ``start`` runs steps on a daemon thread
    until ``stop``. The seed fixes every choice; ``clock`` and ``wait`` are
    injectable so tests drive it without real time passing. ``wait(seconds)``
    returns True when the simulator should stop (the default waits on the
    stop event, so ``stop`` wakes it at once).
    """

    def __init__(
        self,
        team: DemoTeam,
        paths: DemoPaths,
        *,
        seed: int = DEFAULT_SEED,
        clock: Clock = system_clock,
        wait: Callable[[float], bool] | None = None,
        on_event: Callable[[SimEvent], None] | None = None,
    ) -> None:
        self.team = team
        self.paths = paths
        self.clock = clock
        self.rng = random.Random(f"{seed}:simulator")
        self.entries: list[DemoEntry] = [e for w in team.workers for e in w.entries]
        self.events: list[SimEvent] = []
        self._zones = {w.persona.email: w.persona.timezone for w in team.workers}
        self._mailroom = Mailroom(paths.maildir)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._wait = wait or self._sleep
        self._replies: dict[str, datetime] = {}
        self._on_event = on_event
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._steps = 0

    # -- what the owner does ------------------------------------------------

    def hear(self, message: InboxMessage) -> None:
        """The owner messaged a worker (a ping through the demo inbox).

        A worker writes back a few seconds later, whatever their state: that
        is what a ping is for. A paused worker does not (the pause notice is
        sent after the pause is in the audit log); a resumed one does.
        """
        if message.worker_id not in {w.id for w in self.team.workers}:
            return
        if message.worker_id in self._paused():
            return
        with self._lock:
            due = self.clock() + timedelta(seconds=self.rng.uniform(*REPLY_DELAY))
            self._replies.setdefault(message.worker_id, due)
        self._wake.set()

    def _paused(self) -> set[str]:
        try:
            return set(audit.paused_workers(self.paths.audit))
        except OSError:
            return set()

    # -- one change --------------------------------------------------------

    def step(self, now: datetime | None = None) -> SimEvent:
        """Make one change as of ``now`` (default: the clock) and return it."""
        exact = now or self.clock()
        now = exact.replace(microsecond=0)  # records carry whole seconds
        with self._lock:
            paused = self._paused()
            event = self._reply(now, due_by=exact) or self._stop_paused(now, paused)
            if event is None:
                first = self._steps == 0
                self._steps += 1
                if first or self.rng.random() < 0.7:
                    event = self._checkin(now, paused) or self._toggle_timer(now, paused)
                else:
                    event = self._toggle_timer(now, paused) or self._checkin(now, paused)
            event = event or SimEvent("idle", at=now)
            self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)
        return event

    def reply_due(self, now: datetime) -> bool:
        """Has a pinged worker's reply come due?"""
        with self._lock:
            return any(due <= now for due in self._replies.values())

    def _reply(self, now: datetime, *, due_by: datetime) -> SimEvent | None:
        due = sorted((at, wid) for wid, at in self._replies.items() if at <= due_by)
        if not due:
            return None
        worker = self.team.worker(due[0][1])
        del self._replies[worker.id]
        checkin = compose(worker.persona, "checkin", now, self.rng, last_month=last_month_name(now))
        self.deliver(checkin)
        return SimEvent("reply", worker.id, now, checkin.subject)

    def _stop_paused(self, now: datetime, paused: set[str]) -> SimEvent | None:
        """A worker paused in the dashboard stops their timer, as they were told to."""
        for worker in self.team.workers:
            if worker.id in paused and worker.id in self.running_ids():
                self._stop_timer(worker, now)
                return SimEvent("timer_stop", worker.id, now, "paused")
        return None

    def _on_shift(
        self, roles: frozenset[Role] | dict[Role, int], now: datetime, paused: set[str]
    ) -> list[DemoWorker]:
        return [
            w
            for w in self.team.workers
            if w.persona.role in roles and w.id not in paused and w.shift.is_on(now)
        ]

    def _checkin(self, now: datetime, paused: set[str]) -> SimEvent | None:
        candidates = self._on_shift(_CHECKIN_WEIGHT, now, paused)
        if not candidates:
            return None
        weights = [_CHECKIN_WEIGHT[w.persona.role] for w in candidates]
        worker = self.rng.choices(candidates, weights=weights)[0]
        kind = self.rng.choices(_KINDS, weights=_KIND_WEIGHTS)[0]
        checkin = compose(worker.persona, kind, now, self.rng, last_month=last_month_name(now))
        self.deliver(checkin)
        return SimEvent("checkin", worker.id, now, checkin.subject)

    def deliver(self, checkin: DemoCheckin) -> str:
        """Put one email into the demo Maildir (new/, unread); returns its key."""
        return self._mailroom.deliver(checkin, seen=False)

    def running_ids(self) -> set[str]:
        emails = {e.who for e in self.entries if e.end is None}
        return {w.id for w in self.team.workers if w.persona.email in emails}

    def _toggle_timer(self, now: datetime, paused: set[str]) -> SimEvent | None:
        workers = self._on_shift(_TIMER_ROLES, now, paused)
        running = self.running_ids()
        on = [w for w in workers if w.id in running]
        off = [w for w in workers if w.id not in running]
        if on and ((len(on) >= 2 and self.rng.random() < 0.5) or not off):
            worker = self.rng.choice(on)
            self._stop_timer(worker, now)
            return SimEvent("timer_stop", worker.id, now, "timer stopped")
        if off:
            worker = self.rng.choice(off)
            task = worker.persona.task
            if worker.persona.side_tasks and self.rng.random() < 0.3:
                task = self.rng.choice(worker.persona.side_tasks)
            self.entries.append(DemoEntry(worker.persona.email, now, None, task))
            self._write_timesheet()
            return SimEvent("timer_start", worker.id, now, task)
        return None

    def _stop_timer(self, worker: DemoWorker, now: datetime) -> None:
        email = worker.persona.email
        self.entries = [
            DemoEntry(e.who, e.start, max(now, e.start + timedelta(minutes=1)), e.task)
            if e.who == email and e.end is None
            else e
            for e in self.entries
        ]
        self._write_timesheet()

    def _write_timesheet(self) -> None:
        write_timesheet(self.paths.timesheet, self.entries, self._zones)

    # -- the thread --------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread until ``stop`` (never blocks interpreter exit)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="farwatch-demo-sim", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds``, waking early for a stop or a ping; True to stop."""
        self._wake.wait(seconds)
        self._wake.clear()
        return self._stop.is_set()

    def _run(self) -> None:
        next_change = self.clock() + timedelta(seconds=FIRST_DELAY)
        while not self._stop.is_set():
            with self._lock:
                wake_at = min([next_change, *self._replies.values()])
            delay = max(0.0, (wake_at - self.clock()).total_seconds())
            if self._wait(delay) or self._stop.is_set():
                return
            now = self.clock()
            try:
                if self.reply_due(now):
                    self.step(now)
                elif now >= next_change:
                    self.step(now)
                    next_change = now + timedelta(seconds=self.rng.uniform(*DELAY))
            except OSError:
                return  # the demo folder went away (the demo is closing)
