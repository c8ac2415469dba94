"""``farwatch check``: is the config right, and can every source be reached?

Validates the config (exit 2 on a mistake), then fetches from each source once,
all at the same time, without touching the cache, and prints OK or what went
wrong in plain words. Exit 0 when every source answered, 1 otherwise, and 2
for a mistake in the config: a source refusing its own settings, or a
required secret's variable that is not set (the server was never asked).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
import threading
import time
from dataclasses import dataclass

import click

from farwatch.actions.templates import TemplateError, load_templates
from farwatch.cli.common import config_option, load
from farwatch.sources.base import Source, SourceError
from farwatch.sources.explain import explain
from farwatch.sources.imref import unknown_channels
from farwatch.sources.model import FetchResult
from farwatch.sources.registry import load_source_class
from farwatch.state.clock import system_clock
from farwatch.state.config import display_path
from farwatch.state.deadline import DEFAULT_DEADLINE, deadlines_for
from farwatch.state.engine import build_source
from farwatch.state.roster_checks import roster_warnings
from farwatch.state.settings import Settings, SourceSettings, WorkerDefaults
from farwatch.state.text import strip_control
from farwatch.tui.settings_check import ui_problems


@dataclass
class CheckResult:
    name: str
    type: str
    ok: bool
    detail: str
    advice: str = ""
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    kind: str = ""
    """The failure's kind; "config" is a mistake in the config file, not in the world."""


def advice_for(error: SourceError) -> str:
    """The plain-words explanation of a source error (empty when there is none)."""
    try:
        return explain(error)
    except Exception:  # advice is a nicety; never let it hide the error itself
        return ""


def _try(
    spec: SourceSettings,
    channels: set[str] | None = None,
    defaults: WorkerDefaults | None = None,
) -> CheckResult:
    started = time.monotonic()
    source: Source | None = None
    try:
        source = build_source(spec)
        result: FetchResult = source.fetch({}, system_clock())
    except SourceError as exc:
        return CheckResult(
            spec.name,
            spec.type,
            False,
            f"{exc.kind}: {exc.message}",
            advice_for(exc),
            time.monotonic() - started,
            kind=exc.kind,
        )
    except Exception as exc:  # a plugin bug: report it as such, keep checking the rest
        return CheckResult(
            spec.name,
            spec.type,
            False,
            f"unexpected error: {type(exc).__name__}: {exc}",
            seconds=time.monotonic() - started,
        )
    finally:
        if source is not None:
            with contextlib.suppress(Exception):
                source.close()
    counts = (
        f"{len(result.roster)} roster rows, {len(result.checkins)} check-ins, "
        f"{len(result.entries)} time entries"
    )
    warnings = [str(w) for w in result.warnings]
    if channels is not None:
        cells = [(row.worker_id or row.name, row.im) for row in result.roster]
        warnings += unknown_channels(cells, channels)
    if defaults is not None:
        warnings += [str(w) for w in roster_warnings(result.roster, defaults)]
    return CheckResult(
        spec.name,
        spec.type,
        True,
        counts,
        seconds=time.monotonic() - started,
        warnings=tuple(warnings),
    )


def deadline_of(spec: SourceSettings) -> float:
    """The same deadline a poll of this source would get (``farwatch.state.deadline``)."""
    try:
        source = build_source(spec)
    except SourceError:
        return DEFAULT_DEADLINE  # the check itself reports the unknown type at once
    return deadlines_for({spec.name: source}, {spec.name: spec.deadline})[spec.name]


def run_checks(
    specs: tuple[SourceSettings, ...],
    deadline: float | None = None,
    channels: set[str] | None = None,
    defaults: WorkerDefaults | None = None,
) -> list[CheckResult]:
    """Try every source at once; results in config order.

    Daemon threads, not an executor: a source still fetching at its deadline
    (the one polls use, or ``deadline`` for all) is reported and abandoned,
    and cannot keep the process from exiting.
    """
    results: dict[int, CheckResult] = {}

    def work(i: int, spec: SourceSettings) -> None:
        results[i] = _try(spec) if channels is None else _try(spec, channels, defaults)

    threads = [
        threading.Thread(target=work, args=(i, spec), name=f"check-{spec.name}", daemon=True)
        for i, spec in enumerate(specs)
    ]
    limits = [deadline if deadline is not None else deadline_of(spec) for spec in specs]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for i in sorted(range(len(threads)), key=limits.__getitem__):
        threads[i].join(max(0.0, started + limits[i] - time.monotonic()))
    return [
        results.get(i)
        or CheckResult(
            spec.name,
            spec.type,
            False,
            f"timeout: no complete answer within {limits[i]:g} s (its deadline)",
        )
        for i, spec in enumerate(specs)
    ]


def config_problems(settings: Settings) -> list[str]:
    """What would fail later (a ping, the dashboard) though the config file parsed."""
    problems = list(ui_problems(settings.ui))
    try:
        load_templates(settings.nudge.templates)
    except TemplateError as exc:
        problems.append(f"nudge.templates: {exc}")
    problems += email_url_problems(settings)
    variable = settings.nudge.email_password_env
    if settings.nudge.email and variable and not os.environ.get(variable):
        problems.append(
            f"nudge.email_password_env: environment variable {variable} is not set "
            "(email pings would fail)"
        )
    return problems + unset_source_secrets(settings) + cadence_problems(settings)


def email_url_problems(settings: Settings) -> list[str]:
    """A ``[nudge] email`` URL apprise cannot use: every ping and digest by email would fail."""
    if not settings.nudge.email:
        return []
    import apprise  # here, not at the top: only `check` pays for it

    from farwatch.actions.channels import email_channel

    channel = email_channel(settings.nudge, "worker@example.com")
    if channel is None:
        return []
    if channel.problem:
        return [f"nudge.email: {channel.problem}"]
    if not apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory")).add(channel.url):
        return [
            "nudge.email: apprise does not understand this URL (email pings would fail); "
            'expected one like "mailtos://user@smtp.example.com"'
        ]
    return []


def unset_source_secrets(settings: Settings) -> list[str]:
    """A required ``*_env`` option naming a variable this shell lacks: the source cannot log in.

    Said here, as a config problem, because the server was never asked: the
    source's own failure would read like a rejected password.
    """
    problems = []
    for index, spec in enumerate(settings.sources, 1):
        try:
            declared = load_source_class(spec.type).options
        except (LookupError, ImportError):
            continue  # the check of the source itself reports an unknown type
        for option in declared:
            variable = spec.options.get(option.name)
            if option.kind != "env" or not option.required or not isinstance(variable, str):
                continue
            if variable and not os.environ.get(variable):
                problems.append(
                    f"sources[{index}].{option.name}: environment variable {variable} is not "
                    f"set in this shell (source {spec.name!r} cannot log in without it)"
                )
    return problems


def cadence_problems(settings: Settings) -> list[str]:
    """Automatic reminders and the digest: what would silently never arrive."""
    from farwatch.actions.owner_outbox import owner_channels

    problems: list[str] = []
    if settings.policy.auto_nudge and not settings.nudge.email:
        problems.append(
            "policy.auto_nudge: on, but [nudge] email is not set: only workers with an im "
            "in the roster can be reminded"
        )
    for channel in owner_channels(settings):
        if channel.problem:
            problems.append(f"digest.channels: {channel.kind} {channel.target}: {channel.problem}")
    if settings.digest.channels and len(owner_channels(settings)) < len(settings.digest.channels):
        problems.append(
            "digest.channels: an email: channel needs [nudge] email (the SMTP server to send by)"
        )
    return problems


@click.command()
@config_option
def check() -> None:
    """Validate the config and try each source once (nothing is saved)."""
    loaded = load()
    settings = loaded.settings
    where = display_path(settings.path) if settings.path else "config"
    count = len(settings.sources)
    problems = config_problems(settings)
    for problem in problems:
        click.echo(f"{where}: {strip_control(problem)}", err=True)
    results = (
        run_checks(settings.sources, channels=set(settings.nudge.im), defaults=settings.defaults)
        if settings.sources
        else []
    )
    # A source that refuses its own settings (a sheet with neither path nor url)
    # is a config mistake too: never "config OK" above it, and exit 2.
    misconfigured = any(r.kind == "config" for r in results)
    verdict = "config has problems" if problems or misconfigured else "config OK"
    click.echo(f"{verdict}: {where} ({count} source{'s' if count != 1 else ''})")
    if not settings.sources:
        click.echo(
            "no sources configured yet: add [[sources]] tables (farwatch init writes examples)"
        )
        if problems:
            raise click.exceptions.Exit(2)
        return
    width = max(len(f"{r.name} ({r.type})") for r in results)
    for r in results:
        label = f"{r.name} ({r.type})".ljust(width)
        word = "OK    " if r.ok else "FAILED"
        click.echo(f"{label}  {word}  {strip_control(r.detail)}")
        for warning in r.warnings:
            click.echo(f"{' ' * (width + 10)}warning: {strip_control(warning)}")
        if r.advice:
            indent = " " * (width + 10)
            columns = max(60, shutil.get_terminal_size((100, 24)).columns)
            click.echo(
                textwrap.fill(
                    strip_control(r.advice),
                    columns,
                    initial_indent=indent,
                    subsequent_indent=indent,
                )
            )
    if problems or misconfigured:
        raise click.exceptions.Exit(2)
    if not all(r.ok for r in results):
        raise click.exceptions.Exit(1)
