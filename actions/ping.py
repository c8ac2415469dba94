"""Ping: a nudge to one worker, planned (who gets what where) then sent.

Planning is separate from sending so the dashboard can show and edit the
message, and a bulk ping can show who will get what before anything goes.

Sending is recorded around each channel: an ``intent`` entry before, a
``sent``/``failed`` entry (with the intent's id) after. A crash in between
leaves a pending intent that the cooldown treats as "maybe sent", so a retry
is never a blind duplicate. A refused repeat (cooldown) is recorded too.

Exactly once: the cooldown check and the first intent are taken under one
lock, so two dialogs (or a dialog and the palette) racing for the same worker
cannot both pass the check. Within the cooldown a ping goes out only as the
answer to a refusal the owner was shown (``answer=result.override``): it names
the ping it was shown, so if another went out meanwhile the answer no longer
fits and the ping is refused again. ``force`` is for the CLI's ``--force``,
which the owner types knowingly; the dashboard never passes it.

Dry runs send nothing and write nothing: they return what *would* happen,
including a cooldown refusal, with every channel's outcome set to ``dry_run``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from farwatch.actions import channels as channels_mod
from farwatch.actions.channels import Channel, ChannelResult
from farwatch.actions.templates import Message, choose_template, load_templates, render
from farwatch.actions.workers import ActionError, describe, status_of
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.clock import Clock
from farwatch.state.engine_api import EngineLike
from farwatch.state.settings import NudgeSettings, Settings
from farwatch.state.status import WorkerStatus

PingStatus = Literal["sent", "partial", "failed", "refused", "no_channel", "dry_run"]

_SEND_LOCK = threading.Lock()
"""Held from the cooldown check to the first intent: no two sends pass the check together."""


@dataclass(frozen=True, slots=True)
class Override:
    """The owner's "send anyway" to a refusal they were shown, about one earlier ping."""

    worker: str
    sends: int
    """Pings started to this worker when the refusal was shown; one more makes it stale."""


@dataclass(frozen=True, slots=True)
class PingPlan:
    """Who gets what on which channel; everything ``send_ping`` needs."""

    worker: WorkerStatus
    template: str
    subject: str
    body: str
    channels: tuple[Channel, ...]
    nudge: NudgeSettings
    audit_path: Path
    cooldown: float
    clock: Clock
    action: str = "ping"
    """``ping`` for nudges (cooldown applies); ``notify`` for pause/resume notices."""

    def with_message(self, subject: str | None = None, body: str | None = None) -> PingPlan:
        """The same plan with an edited subject and/or body."""
        from dataclasses import replace

        return replace(
            self,
            subject=self.subject if subject is None else " ".join(subject.split()),
            body=self.body if body is None else body,
        )

    @property
    def usable_channels(self) -> tuple[Channel, ...]:
        return tuple(c for c in self.channels if not c.problem)

    def summary(self) -> str:
        """One line for confirmations: who, which channels, which template."""
        where = ", ".join(c.label for c in self.usable_channels) or "no channel"
        return f"{describe(self.worker)}: {self.template!r} by {where}"


@dataclass(frozen=True, slots=True)
class PingResult:
    plan: PingPlan
    status: PingStatus
    deliveries: tuple[ChannelResult, ...] = ()
    reason: str = ""
    """Why it was refused or failed, in plain words (no secrets)."""
    entries: tuple[AuditEntry, ...] = field(default=())
    override: Override | None = None
    """For a refusal or a partial send: the answer that sends anyway (or retries)."""
    dry_run: bool = False
    """Nothing was sent or recorded: the status is what a real send would do."""

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "dry_run")

    @property
    def failures(self) -> tuple[ChannelResult, ...]:
        return tuple(d for d in self.deliveries if not d.ok)

    def describe(self) -> str:
        """A sentence for a toast or the CLI."""
        who = describe(self.plan.worker)
        if self.status == "sent":
            chans = ", ".join(d.channel for d in self.deliveries)
            return f"pinged {who} by {chans}"
        if self.status == "dry_run":
            where = ", ".join(c.label for c in self.plan.usable_channels) or "no channel"
            extra = f" ({self.reason})" if self.reason else ""
            return f"dry run: would ping {who} by {where}{extra}"
        if self.dry_run and self.status == "refused":
            return f"dry run: a ping to {who} would be refused: {self.reason}"
        if self.dry_run and self.status == "no_channel":
            return f"dry run: a ping to {who} could not be sent: {self.reason}"
        if self.status in ("partial", "failed"):
            fails = "; ".join(f"{d.channel} {d.target}: {d.error}" for d in self.failures)
            sent = [d.channel for d in self.deliveries if d.ok]
            head = f"sent by {', '.join(sent)} but " if sent else ""
            return f"{head}ping to {who} failed: {fails}"
        return f"ping to {who} not sent: {self.reason}"


def plan_message(
    settings: Settings,
    clock: Clock,
    status: WorkerStatus,
    template: str | None = None,
    message: str | None = None,
    *,
    reason: str = "",
    action: str = "ping",
) -> PingPlan:
    """Build a plan from settings directly (the engine-free core of ``plan_ping``).

    Raises:
        TemplateError: unknown template name or a bad configured template.
    """
    name = template or choose_template(status)
    filled: Message = render(name, status, load_templates(settings.nudge.templates), reason=reason)
    body = filled.body if message is None else message
    return PingPlan(
        worker=status,
        template=name,
        subject=filled.subject,
        body=body,
        channels=tuple(channels_mod.channels_for(settings.nudge, status)),
        nudge=settings.nudge,
        audit_path=settings.audit_file,
        cooldown=settings.policy.nudge_cooldown,
        clock=clock,
        action=action,
    )


def plan_ping(
    engine: EngineLike,
    worker: WorkerStatus | str,
    template: str | None = None,
    message: str | None = None,
) -> PingPlan:
    """Plan a ping to ``worker`` (a status row, or an id/email/name query).

    ``template`` defaults to the one the worker's situation calls for;
    ``message`` replaces the template's body (the subject stays).

    Raises:
        UnknownWorker, AmbiguousWorker: the query does not name one worker.
        TemplateError: unknown template name or a bad configured template.
    """
    status = status_of(engine, worker)
    return plan_message(engine.settings, engine.clock, status, template, message)


def cooldown_reason(plan: PingPlan, now: datetime) -> str:
    """Why a ping now would be a repeat, or '' when it may go."""
    last = audit.last_ping(plan.audit_path, plan.worker.id)
    if last is None or plan.cooldown <= 0:
        return ""
    wait = last + timedelta(seconds=plan.cooldown) - now
    if wait <= timedelta(0):
        return ""
    pending = [
        e
        for e in audit.pending_intents(plan.audit_path, worker=plan.worker.id)
        if e.action == "ping"
    ]
    ago = max(1, round((now - last).total_seconds() / 60))
    # the two figures add up to the cooldown: "1 min ago ... another in 29 min"
    minutes = max(1, min(math.ceil(wait.total_seconds() / 60), round(plan.cooldown / 60) - ago))
    if pending and pending[0].time >= last:
        return (
            f"a ping at {last:%H:%M} UTC was started but its outcome was never recorded "
            "(farwatch stopped mid-send), so it may have gone out; send anyway "
            "(--force, or ctrl+f in the dashboard) to send again"
        )
    return (
        f"already pinged {ago} min ago; the cooldown allows another in {minutes} min "
        "(send anyway: --force, or ctrl+f in the dashboard)"
    )


def send_ping(
    plan: PingPlan,
    *,
    force: bool = False,
    answer: Override | None = None,
    dry_run: bool = False,
) -> PingResult:
    """Send ``plan`` on each usable channel, recording intent and outcome.

    ``answer`` is the ``override`` of a refused (or partly sent) result the
    owner saw: it sends within the cooldown only if no other ping went out
    since. Never raises for delivery problems: the result's status and reason
    say what happened. Raises OSError only if the audit log cannot be written
    (then nothing is sent, since it could not be recorded).
    """
    if dry_run:
        return _send(plan, force=force, answer=answer, dry_run=True, release=lambda: None)
    _SEND_LOCK.acquire()
    held = [True]

    def release() -> None:
        if held.pop() if held else False:
            _SEND_LOCK.release()

    try:
        return _send(plan, force=force, answer=answer, dry_run=False, release=release)
    finally:
        release()


def _sends_so_far(plan: PingPlan) -> int:
    """Pings ever started to this worker (the log is append-only, so this only grows)."""
    entries = audit.read_entries(plan.audit_path, worker=plan.worker.id)
    return sum(1 for e in entries if e.action == "ping" and e.outcome == audit.INTENT)


def _answers(answer: Override | None, plan: PingPlan) -> bool:
    return (
        answer is not None
        and answer.worker == plan.worker.id
        and answer.sends == _sends_so_far(plan)
    )


def _send(
    plan: PingPlan,
    *,
    force: bool,
    answer: Override | None,
    dry_run: bool,
    release: Callable[[], None],
) -> PingResult:
    """``send_ping`` under the lock; ``release`` once the first intent is recorded."""
    now = plan.clock()
    usable = plan.usable_channels
    problems = "; ".join(f"{c.kind}: {c.problem}" for c in plan.channels if c.problem)
    if not usable:
        reason = problems or (
            "no way to reach this worker: set [nudge] email in the config "
            "and an email or im in the roster"
        )
        return PingResult(plan, "no_channel", reason=reason, dry_run=dry_run)
    refusal = ""
    if not force and plan.action == "ping" and not _answers(answer, plan):
        refusal = cooldown_reason(plan, now)
    if dry_run and refusal:  # a dry run predicts the real outcome, refusal included
        return PingResult(plan, "refused", reason=refusal, dry_run=True)
    if dry_run:
        skipped = tuple(ChannelResult(c.kind, c.target, True, "dry run") for c in usable)
        return PingResult(plan, "dry_run", skipped, reason=problems, dry_run=True)
    worker = plan.worker.id
    text = f"{plan.subject}\n\n{plan.body}"
    if refusal:
        entry = audit.append(
            plan.audit_path,
            AuditEntry(
                action=plan.action,
                worker=worker,
                outcome="refused",
                detail=refusal,
                message=text,
                time=now,
            ),
        )
        shown = Override(worker, _sends_so_far(plan))
        return PingResult(plan, "refused", reason=refusal, entries=(entry,), override=shown)
    entries: list[AuditEntry] = []
    results: list[ChannelResult] = []
    for channel in usable:
        intent = audit.append(
            plan.audit_path,
            AuditEntry(
                action=plan.action,
                worker=worker,
                channel=channel.kind,
                outcome="intent",
                message=text,
                detail=f"to {channel.target} ({plan.template})",
                time=plan.clock(),
            ),
        )
        entries.append(intent)
        release()  # recorded: any other send now sees this one in the cooldown
        result = channels_mod.send(channel, plan.subject, plan.body, plan.nudge)
        results.append(result)
        entries.append(
            audit.append(
                plan.audit_path,
                AuditEntry(
                    action=plan.action,
                    worker=worker,
                    channel=channel.kind,
                    outcome="sent" if result.ok else "failed",
                    detail=f"to {channel.target}" if result.ok else result.error,
                    intent_id=intent.id,
                    time=plan.clock(),
                ),
            )
        )
    sent = sum(r.ok for r in results)
    status: PingStatus = "sent" if sent == len(results) else ("partial" if sent else "failed")
    reason = "; ".join(f"{r.channel}: {r.error}" for r in results if not r.ok)
    retry = None
    if status == "partial":  # retrying the failed channel answers this very send
        retry = Override(worker, _sends_so_far(plan))
    return PingResult(
        plan, status, tuple(results), reason=reason, entries=tuple(entries), override=retry
    )


def ping(
    engine: EngineLike,
    worker: WorkerStatus | str,
    *,
    template: str | None = None,
    message: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> PingResult:
    """Plan and send in one call (the CLI's ``farwatch ping``)."""
    return send_ping(plan_ping(engine, worker, template, message), force=force, dry_run=dry_run)


def plan_bulk(engine: EngineLike, statuses: list[WorkerStatus] | None = None) -> list[PingPlan]:
    """Plans for every stale worker (overdue and not paused), for a confirmation."""
    rows = statuses if statuses is not None else engine.statuses()
    return [plan_ping(engine, s) for s in rows if s.stale]


__all__ = [
    "ActionError",
    "Override",
    "PingPlan",
    "PingResult",
    "cooldown_reason",
    "ping",
    "plan_bulk",
    "plan_message",
    "plan_ping",
    "send_ping",
]
