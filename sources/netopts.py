"""Small helpers the network sources share for reading their options.

Config validation (``farwatch.state.config``) fills defaults and turns
durations into seconds, but sources are also built directly (tests, plugins,
``farwatch check`` on a partial config), so each source re-applies its declared
defaults here instead of trusting every key to be present.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farwatch.sources.base import Option, SourceError
from farwatch.sources.durations import parse_duration
from farwatch.sources.redact import redact
from farwatch.sources.text import strip_control


def option_value(config: Mapping[str, Any], options: tuple[Option, ...], name: str) -> Any:
    """The configured value of ``name``, or its declared default when unset."""
    value = config.get(name)
    if value is not None:
        return value
    for opt in options:
        if opt.name == name:
            return opt.default
    return None


def as_seconds(value: Any, *, name: str, source: str) -> float:
    """Seconds (int/float, as the config hands them over) or a duration string.

    Strings follow the config's grammar (``farwatch.sources.durations``):
    ``"90s"`` and ``"1h30m"``, never a bare ``"90"``.

    Raises:
        SourceError: (config, not retryable) naming the option.
    """
    if isinstance(value, bool):
        raise _bad(source, name, value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            pass
    raise _bad(source, name, value)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def clean_text(value: Any, limit: int = 500) -> str:
    """One line of untrusted API text, capped at ``limit`` characters.

    Whole escape sequences go (an OSC title change leaves no ``]0;...``
    behind), as do control, bidi and zero-width characters; whitespace
    collapses to single spaces. Secrets are masked before the text is cut,
    so a key echoed near the limit cannot leave its first characters. Numbers
    read as text; an object or list where text belongs (a mangled answer)
    reads as nothing.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return " ".join(redact(strip_control(str(value))).split())[:limit]


def _bad(source: str, name: str, value: Any) -> SourceError:
    return SourceError(
        f"{source}: option {name} must be a duration such as 30s, 5m or 1h30m, got {value!r}",
        title="bad option",
        kind="config",
        retryable=False,
    )
