"""Auto-pause at the cap: "don't pay past the cap", done for the owner.

Called after every poll (dashboard or ``farwatch poll``). A cap crossing is
itself recorded in the audit log (action ``threshold``, outcome ``over_cap``),
and it is that record, not process memory, that says "already handled": a
restart, a second dashboard or the poll daemon never pause twice for the same
crossing. When the burn drops back under 100% (a new period, a raised cap)
an ``under_cap`` record re-arms it. Crossings are recorded whether or not
auto-pause is on, so the log shows them either way.

A file lock beside the audit log serialises the check across processes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from farwatch.actions.pause import pause
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.engine_api import EngineLike
from farwatch.state.status import WorkerStatus

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

OVER = "over_cap"
UNDER = "under_cap"


@contextlib.contextmanager
def _locked(audit_path: Path) -> Iterator[None]:
    lock = audit_path.with_name(audit_path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _crossed(entries: list[AuditEntry]) -> set[str]:
    """Workers whose latest cap record is a crossing (newest-first input)."""
    seen: set[str] = set()
    over: set[str] = set()
    for e in entries:
        if e.action != "threshold" or e.outcome not in (OVER, UNDER) or e.worker in seen:
            continue
        seen.add(e.worker)
        if e.outcome == OVER:
            over.add(e.worker)
    return over


def _cap_words(s: WorkerStatus) -> str:
    cap = f"{s.cap_hours:g}" if s.cap_hours is not None else "?"
    return f"{s.hours_used:.1f} of {cap} h ({s.cap_period})"


def check_auto_pause(
    engine: EngineLike, statuses: list[WorkerStatus] | None = None
) -> list[AuditEntry]:
    """Record cap crossings and, with ``auto_pause_at_cap``, pause those workers.

    Returns the new ``threshold`` (over_cap / under_cap) and ``auto_pause``
    entries, for the dashboard to toast; empty when nothing changed. Stopping
    timers and telling workers takes network time: call it from a worker
    thread, not the UI thread.
    """
    rows = statuses if statuses is not None else engine.statuses()
    capped = [s for s in rows if s.burn is not None]
    if not capped:
        return []
    path = engine.settings.audit_file
    events: list[AuditEntry] = []
    to_pause: list[WorkerStatus] = []
    with _locked(path):  # the crossing record decides who acts, once
        crossed = _crossed(audit.read_entries(path))
        for s in capped:
            burn = s.burn if s.burn is not None else 0.0
            if burn >= 1.0 and s.id not in crossed:
                events.append(
                    audit.append(
                        path,
                        AuditEntry(
                            action="threshold",
                            worker=s.id,
                            outcome=OVER,
                            detail=f"reached the cap: {_cap_words(s)}",
                            time=engine.clock(),
                        ),
                    )
                )
                if engine.settings.policy.auto_pause_at_cap and not s.paused:
                    to_pause.append(s)
            elif burn < 1.0 and s.id in crossed:
                events.append(
                    audit.append(
                        path,
                        AuditEntry(
                            action="threshold",
                            worker=s.id,
                            outcome=UNDER,
                            detail=f"back under the cap: {_cap_words(s)}",
                            time=engine.clock(),
                        ),
                    )
                )
    # Timers and messages take network time: outside the lock.
    for s in to_pause:
        reason = f"The agreed cap is reached: {_cap_words(s)}."
        result = pause(engine, s, reason, action="auto_pause")
        events.extend(e for e in result.entries if e.action == "auto_pause")
    return events
