"""Make untrusted text safe to print to a terminal (see ``farwatch.sources.text``).

The implementation lives with the sources, which clean what they parse with
it too; this name stays for everything downstream of the cache.
"""

from __future__ import annotations

from farwatch.sources.text import has_control_character, plural, strip_control

__all__ = ["has_control_character", "plural", "strip_control"]
