"""Roster cells a row can live without, checked where the row is used.

A row whose working hours, days or currency cannot be read as written is not
dropped: the worker stays on the dashboard, judged by the default hours (or
paid in the code as written), and the roster source carries a ``cell``
warning naming the row, the column and the value, so the owner sees it in the
header badge, ``status``, ``status --json``, the sources screen and ``check``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from farwatch.sources.model import RosterRow, SourceWarning
from farwatch.state.currency import UNKNOWN_MARK, is_iso_currency
from farwatch.state.settings import WorkerDefaults
from farwatch.state.workhours import ScheduleError, parse_days, parse_hours, parse_timezone

_LOOSE_HOURS = re.compile(r"[ap]\.?m\b|(?:^|[^\d:])\d{1,2}(?:$|[^\d:])", re.IGNORECASE)
"""A time written without minutes or with am/pm: read, but worth a note."""
_NEXT_DAY = re.compile(r"\+\s*1\b")


def roster_warnings(rows: Iterable[RosterRow], defaults: WorkerDefaults) -> list[SourceWarning]:
    """One warning per roster cell that could not be used as written."""
    found: list[SourceWarning] = []
    for row in rows:
        found.extend(_schedule_cells(row, defaults))
        currency = row.currency.strip()
        if currency and not is_iso_currency(currency):
            found.append(
                SourceWarning(
                    "cell",
                    f"{_row_name(row)}: currency {currency!r} is not a 3-letter ISO 4217 code; "
                    f"amounts in it are shown as written, marked {UNKNOWN_MARK!r}, "
                    "and never added to another currency",
                )
            )
    return found


def _schedule_cells(row: RosterRow, defaults: WorkerDefaults) -> list[SourceWarning]:
    cells: tuple[tuple[str, str, Callable[[str], object], str], ...] = (
        ("timezone", row.timezone, parse_timezone, defaults.timezone),
        ("hours", row.hours, parse_hours, defaults.hours),
        ("days", row.days, parse_days, defaults.days),
    )
    found = []
    for column, value, parse, default in cells:
        text = value.strip()
        if not text:
            continue
        try:
            read = parse(text)
        except ScheduleError as exc:
            found.append(
                SourceWarning(
                    "cell",
                    f"{_row_name(row)}: {column} {text!r} cannot be read ({exc}); "
                    f"the worker is shown with the default {column} {default!r}",
                )
            )
            continue
        loose = _LOOSE_HOURS.search(_NEXT_DAY.sub("", text))
        if column == "hours" and isinstance(read, tuple) and loose:
            shown = ",".join(str(window) for window in read)
            found.append(SourceWarning("note", f"{_row_name(row)}: hours {text!r} read as {shown}"))
    return found


def _row_name(row: RosterRow) -> str:
    return f"row {row.name.strip()!r} ({row.worker_id})"
