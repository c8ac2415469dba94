"""What every farwatch command shares: ``--config``, loading it, user errors.

``--config PATH`` is accepted before the command (``farwatch --config x
status``) and after it (``farwatch status --config x``); the later one wins.
While a command runs, the chosen path is also exported as
``$FARWATCH_CONFIG``, so any code that loads the config with no explicit path
(and any process farwatch starts) sees the same file.

Errors a user can fix are ``click.ClickException`` subclasses: one line on
stderr prefixed ``farwatch:``, no traceback; config errors exit 2, others 1.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from farwatch.state.config import ENV_VAR, ConfigError, LoadedConfig, load_config

META_KEY = "farwatch.config"
F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """A problem the user can fix; printed as ``farwatch: <message>``."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"farwatch: {self.format_message()}", err=True, file=file)


class ConfigProblem(UserError):
    """A config file mistake: exit code 2."""

    exit_code = 2

    @classmethod
    def from_error(cls, error: ConfigError) -> ConfigProblem:
        return cls(str(error))


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta[META_KEY] = value
        os.environ[ENV_VAR] = str(value)


def make_config_option() -> click.Option:
    """A ``--config`` option that records the path in ``ctx.meta`` (see module doc)."""
    return click.Option(
        ["--config", "config_path"],
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH",
        expose_value=False,
        callback=_remember_config,
        help="Config file (default: $FARWATCH_CONFIG, else the user config dir).",
    )


def config_option(func: F) -> F:
    """Decorator adding ``--config`` to a command."""
    params = getattr(func, "__click_params__", [])
    params.append(make_config_option())
    func.__click_params__ = params  # type: ignore[attr-defined]
    return func


def config_path(ctx: click.Context | None = None) -> Path | None:
    """The ``--config`` path given on the command line, if any."""
    ctx = ctx or click.get_current_context()
    value = ctx.meta.get(META_KEY)
    return value if isinstance(value, Path) else None


def load(ctx: click.Context | None = None) -> LoadedConfig:
    """Load the config the command line points at; print its warnings to stderr.

    Raises:
        ConfigProblem: exit code 2, the error's message, no traceback.
    """
    try:
        loaded = load_config(config_path(ctx))
    except ConfigError as exc:
        raise ConfigProblem.from_error(exc) from None
    for warning in loaded.warnings:
        warn(warning)
    return loaded


def warn(message: str) -> None:
    click.echo(f"farwatch: warning: {message}", err=True)
