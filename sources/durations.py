"""The one duration grammar: what the config file and every source accept.

Durations are strings of number+unit parts in falling order: ``"45s"``,
``"90m"``, ``"2h"``, ``"1h30m"``, ``"2d"``, ``"1.5h"``. A bare number is
rejected on purpose: ``checkin_warn = 2`` could mean two seconds or two hours,
and guessing wrong hides stale workers. It lives in ``sources/`` (the lowest
layer) so the config (``farwatch.state.config_types``) and the sources'
option helpers (``farwatch.sources.netopts``) share it.
"""

from __future__ import annotations

import re

DURATION_EXPECTED = 'a duration like "90m" or "2h"'
MAX_DURATION = 36500 * 86400.0
"""100 years: longer is a typo, and ``now`` minus it must stay a computable date."""
TOO_LONG = f"{DURATION_EXPECTED}, at most 36500d (100 years)"

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([dhms])")


def parse_duration(text: str) -> float:
    """Seconds in a duration string such as ``"1h30m"``.

    Raises:
        ValueError: for anything else, including bare numbers and durations
            over ``MAX_DURATION``; its text says what was expected.
    """
    s = text.strip().lower()
    pos = 0
    total = 0.0
    last_rank = -1
    for match in _PART.finditer(s):
        if match.start() != pos:
            break
        rank = "dhms".index(match.group(2))
        if rank <= last_rank:
            raise ValueError(DURATION_EXPECTED)
        last_rank = rank
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not s or pos != len(s.rstrip()) or last_rank < 0:
        raise ValueError(DURATION_EXPECTED)
    if not total <= MAX_DURATION:
        raise ValueError(TOO_LONG)
    return total
