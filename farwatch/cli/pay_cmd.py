"""``farwatch pay``: what each worker is owed, capped, as a table, JSON, CSV or statements."""

from __future__ import annotations

import json
import shutil
from datetime import date
from zoneinfo import ZoneInfo

import click

from farwatch.actions.statements import approve, send_statement
from farwatch.actions.workers import ActionError, resolve_worker
from farwatch.cli.common import UserError, config_option, load
from farwatch.cli.engine_ctx import opened_engine
from farwatch.cli.status_cmd import parse_now
from farwatch.cli.status_table import no_workers, table
from farwatch.state.clock import Clock, frozen_clock, system_clock
from farwatch.state.pay import PayRange, PayReport, WorkerPay, pay_report
from farwatch.state.pay_report import format_money, hours, pay_csv, pay_json, statement_text
from farwatch.state.settings import Settings
from farwatch.state.status import WorkerStatus
from farwatch.state.text import plural, strip_control


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date like 2026-11-23", param_hint=option
        ) from None


def local_date(w: WorkerPay) -> str:
    """The first day of the range on the worker's own calendar."""
    try:
        zone = ZoneInfo(w.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return w.period_start.astimezone(zone).strftime("%Y-%m-%d")


def pay_table(report: PayReport, width: int, has_sources: bool = True) -> str:
    headers = (
        "NAME",
        "FROM",
        "LOGGED",
        "PAYABLE",
        "OVER CAP",
        "RATE",
        "AMOUNT",
        "NOT PAID",
        "",
    )
    rows = []
    for w in report.workers:
        rows.append(
            (
                strip_control(w.name),
                local_date(w),
                f"{hours(w.seconds_logged):.2f}h",
                f"{hours(w.seconds_payable):.2f}h",
                f"{hours(w.seconds_over_cap):.2f}h",
                "no rate" if w.rate is None else format_money(w.rate, w.currency),
                format_money(w.amount_payable, w.currency),
                format_money(w.amount_over_cap, w.currency),
                "provisional" if w.provisional else "",
            )
        )
    if not rows:
        return no_workers(has_sources)
    lines = [table(headers, rows, width, flex=0), ""]
    for t in report.totals:
        currency = t.currency or "no currency"
        line = (
            f"Total {currency}: {hours(t.seconds_payable):.2f}h payable, "
            f"{format_money(t.amount_payable, t.currency)} to pay, "
            f"{format_money(t.amount_over_cap, t.currency)} not paid (over cap)"
        )
        if t.workers_without_rate:
            line += f"; {plural(t.workers_without_rate, 'worker')} without a rate (hours only)"
        lines.append(line)
    if any(w.provisional for w in report.workers):
        lines.append("Provisional: a timer is still running; figures will change.")
    return "\n".join(lines)


@click.command()
@config_option
@click.option(
    "--from", "first_text", metavar="DATE", help="First local date (each worker's); goes with --to."
)
@click.option(
    "--to", "last_text", metavar="DATE", help="Last local date, inclusive; goes with --from."
)
@click.option("--now", "now_text", metavar="ISO8601", help="Evaluate as of this instant.")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV for a payroll import.")
@click.option("--worker", "worker", metavar="W", help="Only this worker (id, email or name).")
@click.option("--statement", "statement", metavar="W", help="Print one worker's statement.")
@click.option("--send", is_flag=True, help="Send each worker (or --statement W) their statement.")
@click.option("--dry-run", is_flag=True, help="With --send: show what would go, send nothing.")
@click.option("--approve", "approving", is_flag=True, help="Record that you approve these figures.")
def pay(
    first_text: str | None,
    last_text: str | None,
    now_text: str | None,
    as_json: bool,
    as_csv: bool,
    worker: str | None,
    statement: str | None,
    send: bool,
    dry_run: bool,
    approving: bool,
) -> None:
    """What each worker is owed for the range: payable hours up to the cap, times the rate."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if approving and send:  # one would silently win; --dry-run would not cover --approve
        raise click.UsageError("choose one of --approve and --send (run them one after another)")
    if dry_run and not send:
        raise click.UsageError("--dry-run goes with --send")
    if statement and (as_json or as_csv) and not send:
        raise click.UsageError("--statement prints a text statement; leave out --json and --csv")
    dates = PayRange(_date(first_text, "--from"), _date(last_text, "--to"))
    if (dates.first is None) != (dates.last is None):  # one alone read as one day: 0 h
        given, missing = ("--from", "--to") if dates.first else ("--to", "--from")
        raise click.UsageError(
            f"{given} needs {missing} too: the range is two local dates, both inclusive "
            "(for one day, give the same date to both; without either, the current cap period)"
        )
    if dates.first and dates.last and dates.last < dates.first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    settings = load().settings
    now = parse_now(now_text) if now_text is not None else system_clock()
    clock = frozen_clock(now)
    with opened_engine(settings, writer=False, clock=clock) as engine:
        statuses = engine.statuses(now)
        snapshot = engine.snapshot()
    try:
        chosen = [resolve_worker(statuses, q) for q in (worker, statement) if q]
    except ActionError as exc:
        raise UserError(str(exc)) from None
    if chosen:
        statuses = [s for s in statuses if s.id in {c.id for c in chosen}]
    report = pay_report(snapshot, statuses, settings, now, dates)
    if approving:
        key = _range_key(dates, report)
        done = approve(settings.audit_file, key, report.workers, now)
        if done.previous is not None:
            when = done.previous.time.strftime("%Y-%m-%d %H:%M UTC")
            since = f"since {done.previous.actor}'s approval at {when}"
            if not done.changes:
                click.echo(f"no change {since}")
            for change in done.changes:
                click.echo(f"changed {since}: {strip_control(change)}")
        click.echo(f"approved the figures of {plural(len(report.workers), 'worker')} for {key}")
        return
    if send:
        _send(settings, clock, statuses, report, dry_run)
        return
    if statement:
        for w in report.workers:
            click.echo(statement_text(w), nl=False)
        return
    if as_json:
        click.echo(json.dumps(pay_json(report), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(pay_csv(report), nl=False)
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        click.echo(pay_table(report, width, has_sources=bool(settings.sources)))


def _range_key(dates: PayRange, report: PayReport) -> str:
    if not dates.is_current_period:
        return f"{dates.first or dates.last}..{dates.last or dates.first}"
    starts = sorted({w.period_start.date().isoformat() for w in report.workers})
    return "current period from " + (starts[0] if starts else "now")


def _send(
    settings: Settings,
    clock: Clock,
    statuses: list[WorkerStatus],
    report: PayReport,
    dry_run: bool,
) -> None:
    by_id = {s.id: s for s in statuses}
    failed = 0
    for w in report.workers:
        result = send_statement(settings, clock, by_id[w.id], w, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        if result.status in ("sent", "dry_run"):
            where = ", ".join(c.label for c in result.plan.usable_channels)
            click.echo(f"{verb} {strip_control(w.name)}'s statement by {where}")
        else:
            failed += 1
            click.echo(f"{strip_control(w.name)}: statement not sent: {result.reason}")
    if failed:
        raise click.exceptions.Exit(1)
