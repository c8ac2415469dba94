"""Make untrusted text safe to print to a terminal (see ``farwatch.sources.text``).

The implementation lives with the sources, which clean what they parse with
it too; this name stays for everything downstream of the cache.
"""

from __future__ import annotations

from farwatch.sources.text import strip_control

__all__ = ["strip_control"]


def plural(count: int, word: str) -> str:
    """``1 worker``, ``2 workers``, ``1 record``: never "1 records"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
