"""Parsers for the value types a config file uses: durations, zones, hours.

Timezones, hours and days are checked with ``farwatch.state.workhours`` (the
parsers ``derive`` uses), so whatever the config accepts, status understands.

Each parser raises ``ValueError`` with the expectation in words (what a user
should have written); ``farwatch.state.config`` adds the file and key path.

Durations follow the one grammar of ``farwatch.sources.durations``, which the
sources' options use too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from farwatch.sources import envref
from farwatch.sources.durations import DURATION_EXPECTED as DURATION_EXPECTED
from farwatch.sources.durations import parse_duration as parse_duration
from farwatch.state import workhours


def format_duration(seconds: float) -> str:
    """The shortest duration string that ``parse_duration`` reads back."""
    if seconds <= 0:
        return "0s"
    whole = round(seconds)
    if whole != seconds or whole == 0:
        return f"{seconds:g}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _schedule_check(parse: Callable[[str], object], expected: str) -> Callable[[str], str]:
    """Validate with the parser ``derive`` itself uses, so config and status agree."""

    def check(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:  # workhours.ScheduleError is a ValueError
            raise ValueError(expected) from exc
        return text.strip()

    return check


TIMEZONE_EXPECTED = 'an IANA timezone like "Asia/Manila" or "UTC"'
HOURS_EXPECTED = 'working hours like "09:00-17:00" or "22:00-06:00"'
DAYS_EXPECTED = 'working days like "Mon-Fri" or "Mon,Wed,Fri"'

parse_timezone = _schedule_check(workhours.parse_timezone, TIMEZONE_EXPECTED)
parse_hours = _schedule_check(workhours.parse_hours, HOURS_EXPECTED)
parse_days = _schedule_check(workhours.parse_days, DAYS_EXPECTED)


TIME_OF_DAY_EXPECTED = 'a time of day like "08:00"'
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time_of_day(text: str) -> str:
    """ "8:00" or "08:00" -> "08:00"; the digest's local sending time."""
    match = _TIME_OF_DAY.match(text.strip())
    if not match:
        raise ValueError(TIME_OF_DAY_EXPECTED)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def is_env_name(text: str) -> bool:
    """True for a plausible environment variable name (``FARWATCH_IMAP_PASSWORD``)."""
    return envref.is_env_name(text)
