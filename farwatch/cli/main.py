"""The ``farwatch`` command: a click group whose commands load on demand.

``farwatch`` alone opens the dashboard. Each subcommand lives in its own
module and is imported only when run, which keeps start-up quick. Every
command gets ``--config`` (see
``farwatch.cli.common``), even one that forgot to declare it. Everything a
command prints goes through the redactor (``farwatch.sources.redact``).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from farwatch.cli.common import (
    ConfigProblem,
    UserError,
    config_option,
    load,
    make_config_option,
)
from farwatch.sources.redact import RedactingWriter
from farwatch.state.config import ENV_VAR, ConfigError, display_path
from farwatch.state.gc_pause import first_frame_shown, pause_until_first_frame

COMMANDS: dict[str, str] = {
    "init": "farwatch.cli.init_cmd:init",
    "check": "farwatch.cli.check_cmd:check",
    "poll": "farwatch.cli.poll_cmd:poll",
    "status": "farwatch.cli.status_cmd:status",
    "demo": "farwatch.cli.demo_cmd:demo",
    "ping": "farwatch.cli.actions_cmd:ping",
    "pause": "farwatch.cli.actions_cmd:pause",
    "resume": "farwatch.cli.actions_cmd:resume",
    "log": "farwatch.cli.actions_cmd:log",
    "pay": "farwatch.cli.pay_cmd:pay",
    "digest": "farwatch.cli.digest_cmd:digest",
}
"""Command name -> ``module:attribute`` of its ``click.Command``."""

SUMMARIES: dict[str, str] = {
    "init": "Write a commented starter config to PATH (default: the usual config file).",
    "check": "Validate the config and try each source once (nothing is saved).",
    "poll": "Poll the sources and keep the cache fresh (for cron or systemd).",
    "status": "Show every worker's check-in age, burn and task, and each source's health.",
    "demo": "Open the dashboard on a bundled, live-simulated team of remote workers.",
    "ping": "Nudge WORKER (id, email or name prefix) by email and/or IM.",
    "pause": "Pause WORKER: mark paused, stop their running timer, tell them.",
    "resume": "Resume WORKER: mark them active again and tell them.",
    "log": "Show the audit log: every ping, pause, resume and what came of it.",
    "pay": "What each worker is owed for the range: payable hours up to the cap, times the rate.",
    "digest": "Print the owner's digest (or send it with --send).",
}
"""Each command's line in ``--help``, so listing them imports none of them (``ping``
would bring in apprise, the dashboard Textual); a test keeps them equal to the
commands' own short help."""


class LazyGroup(click.Group):
    """Loads commands from ``COMMANDS`` when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        command = getattr(module, attr, None)
        if not isinstance(command, click.Command):
            return None
        if not any(
            p.name == "config_path" or "--config" in getattr(p, "opts", ()) for p in command.params
        ):
            command.params.append(make_config_option())
        return command  # not cached here: importlib already caches the module

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            summary = SUMMARIES.get(name) if name not in self.commands else None
            if summary is not None:
                summary = click.Command(name, short_help=summary).get_short_help_str(limit)
            else:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                summary = command.get_short_help_str(limit)
            rows.append((name, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:  # raised by a command that loaded the config itself
            raise ConfigProblem.from_error(exc) from None
        except BrokenPipeError:
            raise  # `farwatch log | head`: click's own handling, no message
        except OSError as exc:  # a file farwatch needs cannot be read or written: say which
            raise UserError(file_problem(exc)) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        saved = os.environ.get(ENV_VAR)
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = RedactingWriter(sys.stdout), RedactingWriter(sys.stderr)
        try:
            return super().main(*args, **kwargs)
        finally:  # --config sets $FARWATCH_CONFIG for this run only (tests run many)
            sys.stdout, sys.stderr = streams
            if saved is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = saved


def file_problem(exc: OSError) -> str:
    """``cannot use ~/audit.jsonl: Permission denied``, never a traceback."""
    where = display_path(Path(exc.filename)) if exc.filename else "a file"
    return f"cannot use {where}: {exc.strerror or exc}"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: reads the installed metadata only when asked (it costs every run)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("farwatch")
    except PackageNotFoundError:
        number = "unknown"
    click.echo(f"farwatch, version {number}")
    ctx.exit()


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@config_option
@click.option(
    "--version",
    "-V",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Watch remote workers: check-ins, running timers, hours against the cap.

    Run without a command to open the dashboard.
    """
    if ctx.invoked_subcommand is None:
        open_dashboard(ctx)


def open_dashboard(ctx: click.Context) -> None:
    """Open the dashboard on the configured team (the engine is opened here).

    The garbage collector is off from here to the first frame (the app turns it
    back on then; so does leaving this function, whatever happens).
    """
    pause_until_first_frame()
    try:
        from farwatch.cli.engine_ctx import opened_engine

        settings = load(ctx).settings
        from farwatch.tui.app import run_dashboard

        with opened_engine(settings, writer=True, warn_notices=False) as engine:
            run_dashboard(engine)
    finally:
        first_frame_shown()


if __name__ == "__main__":  # pragma: no cover
    main()
