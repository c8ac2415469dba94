"""Find source classes through the ``farwatch.sources`` entry-point group.

Built-ins register through the same group as third-party plugins, so there is
one code path. Listing names does not import anything; a plugin that fails to
import is reported by name, never a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from farwatch.sources.base import Source

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "farwatch.sources"


class UnknownSourceType(LookupError):
    """No installed source has this type name."""


def _entry_points() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # costs every start-up; only when asked

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def source_types() -> list[str]:
    """Names of every installed source type, sorted."""
    return sorted(_entry_points())


def load_source_class(type_name: str) -> type[Source]:
    """Import and return the class registered as ``type_name``.

    Raises:
        UnknownSourceType: naming the types that are installed.
        ImportError: with the plugin name when its module fails to import.
    """
    eps = _entry_points()
    ep = eps.get(type_name)
    if ep is None:
        known = ", ".join(sorted(eps)) or "none"
        raise UnknownSourceType(f"unknown source type {type_name!r} (installed: {known})")
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must not take farwatch down
        message = f"source plugin {type_name!r} ({ep.value}) failed to load: {exc}"
        raise ImportError(message) from exc
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise ImportError(f"source plugin {type_name!r} ({ep.value}) is not a farwatch Source")
    return cls
