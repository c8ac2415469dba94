"""Opening the engine for a command, with its failures turned into user errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from farwatch.cli.common import UserError, warn
from farwatch.sources.base import SourceError
from farwatch.state.clock import Clock, system_clock
from farwatch.state.engine import Engine
from farwatch.state.settings import Settings
from farwatch.state.storage import CacheError


@contextmanager
def opened_engine(
    settings: Settings, *, writer: bool, clock: Clock = system_clock, warn_notices: bool = True
) -> Iterator[Engine]:
    """An opened ``Engine``, closed on the way out; every command opens it here.

    Its notices (a moved-aside cache...) go to stderr, unless ``warn_notices``
    is False (the dashboard shows them as toasts). Notices about another
    process holding the writer lock are left to the caller, which knows
    whether that matters (``poll``) or not (``status``).
    """
    try:
        engine = Engine(settings, clock=clock)
    except SourceError as exc:
        raise UserError(exc.message) from exc
    try:
        engine.open(writer=writer)
    except CacheError as exc:
        engine.close()
        raise UserError(str(exc)) from exc
    try:
        holder = engine.lock_holder
        for notice in engine.notices if warn_notices else ():
            if holder is None or holder not in notice:  # callers word the lock themselves
                warn(notice)
        yield engine
    finally:
        engine.close()
