"""``farwatch status [--json] [--now ISO8601]``: the team as of now, from the cache."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import click
import orjson

from farwatch.cli.common import config_option, load
from farwatch.cli.engine_ctx import opened_engine
from farwatch.cli.status_table import render
from farwatch.sources.model import out_of_range_text, time_in_range
from farwatch.state.cadence import Reminder
from farwatch.state.clock import frozen_clock, system_clock
from farwatch.state.engine_api import EngineLike
from farwatch.state.report import status_report
from farwatch.state.status import WorkerStatus


def parse_now(text: str) -> datetime:
    """An ISO 8601 instant with an offset or ``Z`` (a bare local time is ambiguous)."""
    try:
        at = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise click.BadParameter(
            f"{text[:60]!r} is not an ISO 8601 time (e.g. 2025-03-03T09:30:00Z)",
            param_hint="--now",
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(
            f"{text!r} has no timezone; add Z or an offset such as +08:00", param_hint="--now"
        )
    if not time_in_range(at):
        raise click.BadParameter(out_of_range_text(text), param_hint="--now")
    return at.astimezone(UTC)


def next_reminders(
    engine: EngineLike, statuses: list[WorkerStatus], now: datetime
) -> dict[str, Reminder]:
    """Each worker's next automatic reminder: the dashboard header's computation."""
    from farwatch.actions.cadence import upcoming  # only with auto_nudge on

    first: dict[str, Reminder] = {}
    for reminder in upcoming(engine, statuses, now):  # soonest first
        first.setdefault(reminder.worker, reminder)
    return first


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@click.option("--now", "now_text", metavar="ISO8601", help="Evaluate as of this instant.")
def status(as_json: bool, now_text: str | None) -> None:
    """Show every worker's check-in age, burn and task, and each source's health."""
    settings = load().settings
    now = parse_now(now_text) if now_text is not None else system_clock()
    with opened_engine(settings, writer=False, clock=frozen_clock(now)) as engine:
        statuses = engine.statuses(now)
        health = engine.health(now)
        unmatched = {h.name: h.unmatched for h in health}
        reminders = next_reminders(engine, statuses, now) if settings.policy.auto_nudge else {}
    if as_json:
        document = status_report(statuses, health, unmatched, now, reminders)
        # orjson: at 5,000 workers the standard library's indent=2 took half a second
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        return
    width = shutil.get_terminal_size((100, 24)).columns
    click.echo(render(statuses, health, unmatched, now, width, reminders))
