"""Pause and resume: stop the work, stop the clock, tell the worker, record it.

The pause itself is written to the audit log first (that is what marks the
worker paused everywhere), then the running timer is stopped on every
tracker that can do it and knows the worker, then the worker is told with the
``paused`` template. Each step is recorded; a failed step is reported but does
not undo the ones before it. Dry runs do and record nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from farwatch.actions.ping import PingResult, plan_message, send_ping
from farwatch.actions.workers import describe, status_of
from farwatch.sources.base import Source, SourceError, TimerNotRunning
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.engine_api import EngineLike
from farwatch.state.matching import WorkerIndex
from farwatch.state.status import WorkerStatus

TimerOutcome = Literal["stopped", "not_running", "failed", "planned"]
PauseStatus = Literal["done", "already", "not_paused", "dry_run"]


@dataclass(frozen=True, slots=True)
class TimerStop:
    """What happened to one tracker's timer."""

    source: str
    who: str
    outcome: TimerOutcome
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PauseResult:
    action: str
    """pause, resume or auto_pause."""
    worker: WorkerStatus
    status: PauseStatus
    timers: tuple[TimerStop, ...] = ()
    notice: PingResult | None = None
    entries: tuple[AuditEntry, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """False when a timer could not be stopped or the worker was not told."""
        if any(t.outcome == "failed" for t in self.timers):
            return False
        return self.notice is None or self.notice.ok or self.notice.status == "no_channel"

    def preview(self) -> str:
        """A dry run told as what confirming will do: ``Will mark …; will stop …``.

        ``describe`` speaks of a dry run in the conditional ("would"); a
        confirmation dialog speaks in the future, in every part alike.
        """
        parts = self.describe().removeprefix("dry run: ").split("; ")
        parts = [p.replace("would not ", "will not ").replace("would ", "will ") for p in parts]
        sentence = "; ".join(parts)
        return sentence[:1].upper() + sentence[1:]

    def describe(self) -> str:
        who = describe(self.worker)
        verb = {"pause": "paused", "auto_pause": "auto-paused", "resume": "resumed"}[self.action]
        if self.status == "already":
            head = f"{who} was already paused"
        elif self.status == "not_paused":
            return f"{who} is not paused; nothing to resume"
        elif self.status == "dry_run":
            head = f"dry run: would mark {who} {verb}"
        else:
            head = f"{verb} {who}"
        preview = self.status == "dry_run"  # every part in one tense: "would ..."
        parts = [head]
        for t in self.timers:
            words = {
                "stopped": "timer stopped",
                "not_running": "no timer to stop" if preview else "no timer running",
                "failed": "could not stop the timer",
                "planned": "would stop the timer",
            }[t.outcome]
            parts.append(f"{t.source}: {words}{f' ({t.detail})' if t.detail else ''}")
        if self.notice is not None:
            n = self.notice
            if n.status == "no_channel":
                told = "would not tell the worker" if preview else "worker not told"
                parts.append(f"{told}: {n.reason}")
            elif n.status == "dry_run":
                where = ", ".join(c.label for c in n.plan.usable_channels)
                parts.append(f"would tell the worker by {where}")
            elif n.ok:
                parts.append("worker told by " + ", ".join(d.channel for d in n.deliveries))
            else:
                parts.append(f"telling the worker failed: {n.reason}")
        return "; ".join(parts)


def _identities(engine: EngineLike, worker: WorkerStatus) -> list[tuple[Source, str]]:
    """(source, who) for every stop-capable tracker that knows this worker.

    The tracker names the worker its own way; the cached time entries say
    how (a running entry first). With no entries anywhere and a single such
    tracker, the roster's tracker id (or email) is tried.
    """
    capable = [s for s in engine.sources.values() if s.can_stop_timer]
    if not capable:
        return []
    snap = engine.snapshot()
    index = WorkerIndex.of(snap.all_roster())
    found: list[tuple[Source, str]] = []
    for source in capable:
        mine = [e for e in snap.entries.get(source.name, []) if index.match(e.who) == worker.id]
        if mine:
            best = max(mine, key=lambda e: (e.running, e.start))
            found.append((source, best.who))
    if found or len(capable) != 1:
        return found
    row = next((r for r in snap.all_roster() if r.worker_id == worker.id), None)
    fallback = (row.tracker_id if row else "") or worker.email
    return [(capable[0], fallback)] if fallback else []


def _stop_timers(
    engine: EngineLike, worker: WorkerStatus, *, dry_run: bool, entries: list[AuditEntry]
) -> list[TimerStop]:
    path = engine.settings.audit_file
    stops: list[TimerStop] = []
    for source, who in _identities(engine, worker):
        if dry_run:
            stops.append(TimerStop(source.name, who, "planned"))
            continue
        intent = audit.append(
            path,
            AuditEntry(
                action="stop_timer",
                worker=worker.id,
                channel=source.name,
                outcome="intent",
                time=engine.clock(),
            ),
        )
        entries.append(intent)
        try:
            stopped = source.stop_timer(who, engine.clock())
            stop = TimerStop(
                source.name,
                who,
                "stopped",
                f"{stopped.task} at {stopped.stopped_at:%H:%M} UTC".strip(),
            )
        except TimerNotRunning as exc:
            stop = TimerStop(source.name, who, "not_running", exc.message)
        except SourceError as exc:
            stop = TimerStop(source.name, who, "failed", exc.message)
        except Exception as exc:  # a plugin bug must not stop the pause half-way
            stop = TimerStop(source.name, who, "failed", f"{type(exc).__name__}: {exc}")
        stops.append(stop)
        entries.append(
            audit.append(
                path,
                AuditEntry(
                    action="stop_timer",
                    worker=worker.id,
                    channel=source.name,
                    outcome=stop.outcome,
                    detail=stop.detail,
                    intent_id=intent.id,
                    time=engine.clock(),
                ),
            )
        )
    return stops


def _notify(
    engine: EngineLike,
    worker: WorkerStatus,
    template: str,
    reason: str,
    *,
    dry_run: bool,
    entries: list[AuditEntry],
) -> PingResult:
    plan = plan_message(
        engine.settings, engine.clock, worker, template, reason=reason, action="notify"
    )
    result = send_ping(plan, dry_run=dry_run)
    entries.extend(result.entries)
    if result.status == "no_channel" and not dry_run:
        entries.append(
            audit.append(
                plan.audit_path,
                AuditEntry(
                    action="notify",
                    worker=worker.id,
                    outcome="skipped",
                    detail=result.reason,
                    time=engine.clock(),
                ),
            )
        )
    return result


def pause(
    engine: EngineLike,
    worker: WorkerStatus | str,
    reason: str = "",
    *,
    dry_run: bool = False,
    action: str = "pause",
    notify: bool = True,
) -> PauseResult:
    """Pause ``worker``: mark, stop timers, tell them, record each step.

    Pausing someone already paused does not add a second pause or message,
    but still stops a timer they may have restarted.

    Raises:
        UnknownWorker, AmbiguousWorker: the query does not name one worker.
        OSError: the audit log cannot be written (then nothing was done).
    """
    status = status_of(engine, worker)
    path = engine.settings.audit_file
    already = status.id in audit.paused_workers(path)
    entries: list[AuditEntry] = []
    if not already and not dry_run:
        entries.append(
            audit.append(
                path,
                AuditEntry(
                    action=action,
                    worker=status.id,
                    outcome=audit.DONE,
                    message=reason,
                    time=engine.clock(),
                ),
            )
        )
    timers = _stop_timers(engine, status, dry_run=dry_run, entries=entries)
    notice = None
    if notify and not already:
        notice = _notify(engine, status, "paused", reason, dry_run=dry_run, entries=entries)
    state: PauseStatus = "dry_run" if dry_run else ("already" if already else "done")
    return PauseResult(action, status, state, tuple(timers), notice, tuple(entries))


def resume(
    engine: EngineLike,
    worker: WorkerStatus | str,
    *,
    dry_run: bool = False,
    notify: bool = True,
) -> PauseResult:
    """Resume ``worker``: mark unpaused and tell them (their timer is theirs to start).

    Raises:
        UnknownWorker, AmbiguousWorker: the query does not name one worker.
        OSError: the audit log cannot be written.
    """
    status = status_of(engine, worker)
    path = engine.settings.audit_file
    if status.id not in audit.paused_workers(path):
        return PauseResult("resume", status, "not_paused")
    entries: list[AuditEntry] = []
    if not dry_run:
        entries.append(
            audit.append(
                path,
                AuditEntry(
                    action="resume", worker=status.id, outcome=audit.DONE, time=engine.clock()
                ),
            )
        )
    notice = (
        _notify(engine, status, "resumed", "", dry_run=dry_run, entries=entries) if notify else None
    )
    return PauseResult(
        "resume", status, "dry_run" if dry_run else "done", (), notice, tuple(entries)
    )
