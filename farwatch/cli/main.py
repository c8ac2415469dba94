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
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click

from farwatch.cli.common import ConfigProblem, config_option, load, make_config_option
from farwatch.sources.redact import RedactingWriter
from farwatch.state.config import ENV_VAR, ConfigError

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
}
"""Command name -> ``module:attribute`` of its ``click.Command``."""


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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:  # raised by a command that loaded the config itself
            raise ConfigProblem.from_error(exc) from None

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


def _version() -> str:
    try:
        return version("farwatch")
    except PackageNotFoundError:
        return "unknown"


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@config_option
@click.version_option(_version(), "--version", "-V", prog_name="farwatch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Watch remote workers: check-ins, running timers, hours against the cap.

    Run without a command to open the dashboard.
    """
    if ctx.invoked_subcommand is None:
        open_dashboard(ctx)


def open_dashboard(ctx: click.Context) -> None:
    """Open the dashboard on the configured team (the engine is opened here)."""
    from farwatch.cli.engine_ctx import opened_engine

    settings = load(ctx).settings
    from farwatch.tui.app import run_dashboard

    with opened_engine(settings, writer=True, warn_notices=False) as engine:
        run_dashboard(engine)


if __name__ == "__main__":  # pragma: no cover
    main()
