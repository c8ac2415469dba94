"""``farwatch demo``: the dashboard on a live-simulated team, no accounts needed.

The demo writes a roster CSV, a Maildir of check-in emails, a CSV time log, an
audit log and a config into a folder, then runs the ordinary engine and
dashboard on that config, so what you see is exactly what your own setup
would give. A background simulator keeps mail arriving and timers moving.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from farwatch.cli.common import UserError
from farwatch.demo.session import DemoSession, start_demo
from farwatch.demo.team import DEFAULT_SEED


def _prepare_dir(directory: Path | None) -> tuple[Path, bool]:
    """The folder to write into, and whether it is ours to delete afterwards."""
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="farwatch-demo-")), True
    directory = directory.expanduser()
    if directory.exists():
        if not directory.is_dir():
            raise UserError(f"{directory} is not a folder")
        if any(directory.iterdir()):
            raise UserError(
                f"{directory} is not empty; farwatch demo writes a fresh team into an "
                "empty (or new) folder, so nothing of yours is mixed in or overwritten"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {directory}: {exc.strerror or exc}") from exc
    return directory, False


@click.command("demo")
@click.option("--config", "config_path", type=click.Path(path_type=Path), hidden=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the demo files into this (new or empty) folder; it is kept afterwards.",
)
@click.option("--keep", is_flag=True, help="Keep the temporary demo folder on exit.")
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Picks the demo's history."
)
@click.option("--no-simulate", is_flag=True, help="Do not simulate new check-ins and timers.")
@click.option(
    "--print-config",
    is_flag=True,
    help="Write the demo files, print their config and exit (the folder is kept).",
)
def demo(
    directory: Path | None,
    keep: bool,
    seed: int,
    no_simulate: bool,
    print_config: bool,
    config_path: Path | None,
) -> None:
    """Open the dashboard on a bundled, live-simulated team of remote workers.

    Twelve workers in eight timezones: some fresh, some late to check in, one
    off shift, one near and one over their cap, one paused, one who never
    wrote. New check-in emails arrive and timers start and stop while you
    watch. Nothing needs an account or the network; the demo's own config
    (see --print-config) is a working example of a real one.
    """
    if config_path is not None:
        raise UserError(
            "farwatch demo writes its own config; to watch your own team run "
            f"farwatch --config {config_path}"
        )
    root, temporary = _prepare_dir(directory)
    remove = temporary and not keep and not print_config
    session: DemoSession | None = None
    try:
        session = start_demo(root, seed=seed, simulate=not (no_simulate or print_config))
        if print_config:
            click.echo(session.paths.config.read_text(encoding="utf-8"), nl=False)
            click.echo(
                f"# written to {session.paths.config}; open it with:\n"
                f"#   farwatch --config {session.paths.config}",
                err=True,
            )
            return
        _run(session)
    finally:
        if session is not None:
            session.stop()
        if remove:
            shutil.rmtree(root, ignore_errors=True)
        elif not print_config:
            click.echo(f"demo files kept in {root}", err=True)


def _run(session: DemoSession) -> None:
    """Poll once, start the simulator and hand the terminal to the dashboard."""
    from farwatch.cli.engine_ctx import opened_engine
    from farwatch.tui import app

    try:
        with opened_engine(session.settings, writer=True, warn_notices=False) as engine:
            try:
                for outcome in engine.poll_all():
                    if not outcome.ok and outcome.error is not None:
                        message = outcome.error.message
                        click.echo(f"demo source {outcome.source}: {message}", err=True)
                session.start()
                app.run_dashboard(engine)
            finally:
                session.stop()  # before the engine closes: no more changes behind its back
    finally:
        sys.stdout.flush()
