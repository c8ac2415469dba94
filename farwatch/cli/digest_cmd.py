"""``farwatch digest``: the owner's daily digest, printed or sent on demand."""

from __future__ import annotations

import click

from farwatch.cli.common import UserError, config_option, load
from farwatch.cli.engine_ctx import opened_engine
from farwatch.cli.status_cmd import parse_now
from farwatch.state.clock import frozen_clock, system_clock
from farwatch.state.digest import DIGEST_ACTION


@click.command()
@config_option
@click.option("--now", "now_text", metavar="ISO8601", help="Evaluate as of this instant.")
@click.option("--send", is_flag=True, help="Send it to the [digest] channels now.")
@click.option("--dry-run", is_flag=True, help="Show where it would go; send nothing.")
def digest(now_text: str | None, send: bool, dry_run: bool) -> None:
    """Print the owner's digest (or send it with --send)."""
    # Imported here: the channels pull in apprise, which --help should not pay for.
    from farwatch.actions.owner_outbox import (
        deliver_owner_messages,
        make_digest,
        owner_channels,
        queue,
    )

    settings = load().settings
    now = parse_now(now_text) if now_text is not None else system_clock()
    with opened_engine(settings, writer=False, clock=frozen_clock(now)) as engine:
        made = make_digest(engine, now)
        channels = owner_channels(settings)
        if dry_run or send:
            if not channels:
                raise UserError(
                    'no [digest] channels configured (e.g. channels = ["email:you@example.com"])'
                )
            where = ", ".join(c.label for c in channels)
            if dry_run:
                click.echo(f"would send to {where}:\n")
            else:
                queue(
                    engine,
                    DIGEST_ACTION,
                    f"digest:manual:{now:%Y%m%dT%H%M%S}",
                    made.subject,
                    made.body,
                    made.summary(),
                )
                results = deliver_owner_messages(engine)
                failed = [e for e in results if e.outcome == "failed"]
                for e in failed:  # detail: "<queued entry id> <error>"
                    why = e.detail.split(" ", 1)[-1]
                    click.echo(f"farwatch: digest not sent by {e.channel}: {why}", err=True)
                if not results:
                    click.echo("queued: the owner's quiet hours are on; it goes out after them")
                elif failed:
                    raise SystemExit(1)
                else:
                    click.echo(f"sent to {where}")
                return
        click.echo(made.subject)
        click.echo("")
        click.echo(made.body, nl=False)
