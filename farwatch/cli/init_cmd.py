"""``farwatch init [PATH] [--force]``: write the commented starter config.

The file is created with mode 0600 (it will name mailboxes and accounts), its
folder is created if needed, and an existing file is never replaced without
``--force``. Where: PATH, else ``--config``, else ``$FARWATCH_CONFIG``, else
the user config dir.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from farwatch.cli.common import UserError, config_option, config_path
from farwatch.state.config import ConfigError, display_path, parse_config, resolve_config_path
from farwatch.state.config_template import render_template


def write_private(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` with mode 0600; never replace unless ``force``.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is false.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = text.encode("utf-8")
    if not force:  # O_EXCL: no window in which another file could be clobbered
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing file.")
@config_option
def init(path: Path | None, force: bool) -> None:
    """Write a commented starter config to PATH (default: the usual config file)."""
    target, _origin = resolve_config_path(path if path is not None else config_path())
    target = target.absolute()
    text = render_template()
    try:
        parse_config(text, target)
    except ConfigError as exc:  # a bug in the template or a broken plugin's example
        raise UserError(f"the starter config does not validate: {exc}") from exc
    shown = display_path(target)
    if target.is_dir():
        raise UserError(f"{shown} is a directory; give a file path such as {shown}/config.toml")
    try:
        write_private(target, text, force=force)
    except FileExistsError:
        raise UserError(
            f"{shown} already exists; not replacing it (use --force to overwrite)"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {shown}")
    click.echo("next: add your sources to it (examples inside), then run: farwatch check")
