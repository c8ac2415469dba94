"""Sending each worker their own pay statement, and recording the owner's approval.

A statement goes by the worker's own channels, like a ping, and is recorded
in the audit log the same way (intent, then outcome), but it is not a nudge:
the ping cooldown does not apply and it does not reset it.

An approval is one audit entry: the range, each worker's amounts and a hash
of the statement data. Approving the same range again compares with the last
approval and says what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from farwatch.actions.ping import PingResult, plan_message, send_ping
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.clock import Clock
from farwatch.state.pay import WorkerPay
from farwatch.state.pay_report import format_money, statement_digest, statement_text
from farwatch.state.settings import Settings
from farwatch.state.status import WorkerStatus

APPROVAL = "pay_approval"
STATEMENT = "statement"


def send_statement(
    settings: Settings,
    clock: Clock,
    status: WorkerStatus,
    pay: WorkerPay,
    *,
    dry_run: bool = False,
) -> PingResult:
    """Send ``pay``'s statement to the worker on their channels (never refused by cooldown)."""
    first = pay.period_start.date().isoformat()
    plan = plan_message(settings, clock, status, "hello", action=STATEMENT).with_message(
        subject=f"Your statement from {first}", body=statement_text(pay)
    )
    return send_ping(plan, dry_run=dry_run)


@dataclass(frozen=True, slots=True)
class Approval:
    entry: AuditEntry
    changes: tuple[str, ...]
    """What differs from the last approval of the same range (empty: none, or first)."""
    previous: AuditEntry | None


def _figures(workers: tuple[WorkerPay, ...]) -> dict[str, dict[str, str | None]]:
    return {
        w.id: {
            "name": w.name,
            "currency": w.currency,
            "payable": None if w.amount_payable is None else str(w.amount_payable),
            "over_cap": None if w.amount_over_cap is None else str(w.amount_over_cap),
            "hours_payable": f"{w.seconds_payable / 3600:.4f}",
        }
        for w in workers
    }


def approve(path: Path, range_key: str, workers: tuple[WorkerPay, ...], now: datetime) -> Approval:
    """Record who approved these figures; say what changed since the last approval."""
    figures = _figures(workers)
    previous = last_approval(path, range_key)
    changes: tuple[str, ...] = ()
    if previous is not None:
        changes = tuple(_differences(_load_figures(previous), figures, workers))
    message = json.dumps({"range": range_key, "workers": figures}, sort_keys=True)
    entry = audit.append(
        path,
        AuditEntry(
            action=APPROVAL,
            channel="owner",
            message=message,
            outcome="approved",
            detail=statement_digest(workers),
            time=now,
        ),
    )
    return Approval(entry, changes, previous)


def last_approval(path: Path, range_key: str) -> AuditEntry | None:
    for entry in audit.read_entries(path):  # newest first
        if entry.action == APPROVAL and _load_range(entry) == range_key:
            return entry
    return None


def _load_range(entry: AuditEntry) -> str | None:
    try:
        value = json.loads(entry.message).get("range")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _load_figures(entry: AuditEntry) -> dict[str, dict[str, str | None]]:
    try:
        workers = json.loads(entry.message).get("workers", {})
    except (ValueError, AttributeError):
        return {}
    return workers if isinstance(workers, dict) else {}


def _differences(
    before: dict[str, dict[str, str | None]],
    after: dict[str, dict[str, str | None]],
    workers: tuple[WorkerPay, ...],
) -> list[str]:
    lines = []
    for w in workers:
        old, new = before.get(w.id), after[w.id]
        if old is None:
            lines.append(f"{w.name}: new since the last approval")
            continue
        for field, label in (("payable", "payable"), ("over_cap", "over cap")):
            if old.get(field) != new.get(field):
                was = old.get(field)
                was_text = format_money(None if was is None else Decimal(was), new["currency"])
                now_text = format_money(
                    None if new[field] is None else Decimal(str(new[field])), new["currency"]
                )
                lines.append(f"{w.name}: {label} {was_text} → {now_text}")
    for worker_id in sorted(set(before) - set(after)):
        lines.append(f"{before[worker_id].get('name') or worker_id}: no longer in these figures")
    return lines
