"""``farwatch ping|pause|resume WORKER`` and ``farwatch log``: act from a shell.

Each action command exits 0 when it did what was asked, 1 with a one-line
reason on stderr when the worker is unknown or ambiguous, a channel failed,
a timer could not be stopped or the cooldown refused the ping. The engine is
opened read-only: a running dashboard or ``farwatch poll`` may hold the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from farwatch.actions.pause import PauseResult
from farwatch.actions.pause import pause as pause_worker
from farwatch.actions.pause import resume as resume_worker
from farwatch.actions.ping import plan_ping, send_ping
from farwatch.actions.templates import TemplateError
from farwatch.actions.workers import ActionError, resolve_worker
from farwatch.cli.common import ConfigProblem, UserError, config_option, load, warn
from farwatch.cli.engine_ctx import opened_engine
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.engine import Engine
from farwatch.state.text import strip_control


@contextmanager
def _engine() -> Iterator[Engine]:
    settings = load().settings
    with opened_engine(settings, writer=False) as engine:
        try:
            yield engine
        except ActionError as exc:
            raise UserError(str(exc)) from None
        except TemplateError as exc:
            if "no template named" in str(exc):
                raise click.BadParameter(str(exc), param_hint="--template") from None
            raise ConfigProblem(f"[nudge.templates]: {exc}") from None
        except OSError as exc:
            raise UserError(f"cannot write the audit log: {exc}") from None


def _finish(ok: bool, text: str) -> None:
    if ok:
        click.echo(text)
    else:
        raise UserError(text)


@click.command()
@config_option
@click.argument("worker")
@click.option("-m", "--message", help="Send this text instead of the template's body.")
@click.option(
    "--template", "template", metavar="NAME", help="Template to use (default: by situation)."
)
@click.option("--force", is_flag=True, help="Send even within the cooldown.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
def ping(
    worker: str, message: str | None, template: str | None, force: bool, dry_run: bool
) -> None:
    """Nudge WORKER (id, email or name prefix) by email and/or IM."""
    if message is not None and not message.strip():  # as the dashboard refuses to send one
        raise click.BadParameter(
            "the message is empty; write one, or leave -m out", param_hint="-m"
        )
    with _engine() as engine:
        plan = plan_ping(engine, worker, template, message)
        result = send_ping(plan, force=force, dry_run=dry_run)
    if dry_run:  # predicts the real exit code: 1 when the real ping would not go
        click.echo(result.describe())
        click.echo(f"Subject: {plan.subject}\n\n{plan.body}", nl=False)
        if not result.ok:
            raise click.exceptions.Exit(1)
        return
    _finish(result.ok, result.describe())


def _report(result: PauseResult) -> None:
    _finish(result.ok, result.describe())


@click.command()
@config_option
@click.argument("worker")
@click.option("--reason", default="", help="Why; included in the message to the worker.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
def pause(worker: str, reason: str, dry_run: bool) -> None:
    """Pause WORKER: mark paused, stop their running timer, tell them."""
    with _engine() as engine:
        result = pause_worker(engine, worker, reason, dry_run=dry_run)
    _report(result)


@click.command()
@config_option
@click.argument("worker")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
def resume(worker: str, dry_run: bool) -> None:
    """Resume WORKER: mark them active again and tell them."""
    with _engine() as engine:
        result = resume_worker(engine, worker, dry_run=dry_run)
    _report(result)


def _line(e: AuditEntry) -> str:
    def clean(text: str) -> str:
        return " ".join(strip_control(text).split())

    message = clean(e.message.split("\n", 1)[0]) if e.message else ""
    fields = [
        f"{e.time:%Y-%m-%d %H:%M:%S}Z",
        clean(e.action),
        clean(e.worker) or "-",
        clean(e.channel) or "-",
        clean(e.outcome) or "-",
    ]
    tail = " | ".join(x for x in (message, clean(e.detail)) if x)
    return "  ".join(fields) + (f"  {tail}" if tail else "")


@click.command()
@config_option
@click.option("--worker", "worker", metavar="W", help="Only this worker (id, email or name).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, newest first.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Show at most this many entries (a whole number, 1 or more; default: all).",
)
def log(worker: str | None, as_json: bool, limit: int | None) -> None:
    """Show the audit log: every ping, pause, resume and what came of it."""
    settings = load().settings
    worker_id: str | None = None
    if worker is not None:
        worker_id = worker
        try:
            with opened_engine(settings, writer=False) as engine:
                worker_id = resolve_worker(engine.statuses(), worker).id
        except ActionError as exc:
            known = {e.worker for e in audit.read_entries(settings.audit_file)}
            if worker not in known:
                raise UserError(str(exc)) from None
        except UserError:
            pass  # no usable cache: filter by the id as given
    read = audit.read_log(settings.audit_file, worker=worker_id)
    for skipped in read.skipped:
        warn(f"{settings.audit_file}: line {skipped.line_no} skipped ({skipped.reason})")
    entries = read.entries if limit is None else read.entries[:limit]
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo(
            "the audit log is empty" if worker_id is None else f"nothing recorded for {worker_id}"
        )
        return
    for e in entries:
        click.echo(_line(e))
