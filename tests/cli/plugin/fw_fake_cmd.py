"""A command module written the simple way: no --config of its own.

It loads the config with no explicit path, like a command that forgot about
``--config``; the CLI must still hand it the right file.
"""

from __future__ import annotations

import click

from farwatch.state.config import load_settings


@click.command()
def hello() -> None:
    """Print which config file was loaded."""
    click.echo(f"loaded {load_settings().path}")
