"""How long one fetch may take, in wall-clock seconds, before the poller gives up on it.

A source's own ``timeout`` bounds each network read, not the whole answer: a
server that sends one byte every couple of seconds (slowloris) keeps a fetch
alive for ever. The poller therefore gives every fetch — built-in or plugin —
a deadline of its own (``deadline`` in the ``[[sources]]`` table). Without
one, a network source gets a small multiple of its ``timeout`` and anything
else a couple of minutes; a default is never more than a few minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farwatch.sources.base import Source, SourceError
from farwatch.sources.netopts import as_seconds

DEFAULT_DEADLINE = 120.0
"""Seconds for a source without a ``timeout`` option (local files, most plugins)."""
TIMEOUT_MULTIPLE = 4.0
"""A network source's default deadline, in units of its own ``timeout``."""
MAX_DEFAULT_DEADLINE = 180.0
"""No default deadline is longer than this (a configured ``deadline`` may be)."""
MIN_DEADLINE = 1.0


def default_deadline(source: Source) -> float:
    """The deadline a source gets when its table sets none."""
    timeout = _timeout(source)
    if timeout is None:
        return DEFAULT_DEADLINE
    return min(MAX_DEFAULT_DEADLINE, max(MIN_DEADLINE, TIMEOUT_MULTIPLE * timeout))


def deadlines_for(
    sources: Mapping[str, Source], configured: Mapping[str, float | None]
) -> dict[str, float]:
    """Each source's deadline: the configured one, else its default."""
    chosen: dict[str, float] = {}
    for name, source in sources.items():
        value = configured.get(name)
        chosen[name] = max(MIN_DEADLINE, value) if value else default_deadline(source)
    return chosen


def _timeout(source: Source) -> float | None:
    """The source's ``timeout`` option in seconds (configured or declared), if it has one."""
    value: Any = source.config.get("timeout")
    if value is None:
        value = next((o.default for o in source.options if o.name == "timeout"), None)
    if value is None:
        return None
    try:
        seconds = as_seconds(value, name="timeout", source=source.name)
    except SourceError:
        return None
    return seconds if seconds > 0 else None
