"""What each table cell shows for a worker: pure functions of status, time and palette.

Kept free of widgets so the table, the detail screen and the benchmarks share
one definition of "how a worker looks", and so tests can check a cell without
running an app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import humanize
from rich.text import Text

from farwatch.state.status import WorkerStatus
from farwatch.tui.palette import BURN_SYMBOLS, CHECKIN_SYMBOLS, PAUSED_SYMBOL, Palette
from farwatch.tui.widgets.safe import clean, safe_text

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A table column: its key, header, width and how readily it is dropped."""

    key: str
    label: str
    width: int
    optional: bool = False


STATE = ColumnSpec("state", " ", 1)
NAME = ColumnSpec("name", "Worker", 16)
AGE = ColumnSpec("age", "Work age", 13)
BURN = ColumnSpec("burn", "Burn", 20)
TASK = ColumnSpec("task", "Task", 20)
LOCAL = ColumnSpec("local", "Local", 5, optional=True)
CATEGORY = ColumnSpec("category", "Cat", 4, optional=True)
ACTIVITY = ColumnSpec("activity", "24h", 12, optional=True)

FIXED_COLUMNS: tuple[ColumnSpec, ...] = (STATE, NAME, AGE, BURN)
OPTIONAL_COLUMNS: tuple[ColumnSpec, ...] = (LOCAL, CATEGORY, ACTIVITY)
"""Optional columns in the order they are kept; the last is dropped first."""
TASK_MIN = 16
TASK_COMFORT = 30
CELL_PADDING = 1
NARROW = 60
"""At this width and below the table shows only state, name, age and burn."""
PINNED = 2
"""State and name stay in place when the table scrolls sideways."""


def plan_columns(width: int) -> tuple[list[ColumnSpec], int]:
    """The columns that fit ``width`` cells and the task column's width.

    Fixed columns always show; the task column takes what is left, and each
    optional column is added only while the task keeps a comfortable width.
    A narrow terminal (``NARROW``) keeps only the fixed columns: who, how long
    since they checked in, how much of their cap is used.
    """
    if width <= NARROW:
        return list(FIXED_COLUMNS), 0
    pad = 2 * CELL_PADDING
    used = sum(c.width + pad for c in FIXED_COLUMNS) + pad  # + task padding
    kept: list[ColumnSpec] = []
    for spec in OPTIONAL_COLUMNS:
        if width - used - (spec.width + pad) >= TASK_COMFORT:
            kept.append(spec)
            used += spec.width + pad
        else:
            break
    task_width = max(TASK_MIN, width - used)
    return [*FIXED_COLUMNS, TASK, *kept], task_width


@lru_cache(maxsize=512)
def zone_of(name: str) -> ZoneInfo | None:
    """The IANA zone ``name`` (None when unknown: callers fall back to UTC)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def state_cell(status: WorkerStatus, palette: Palette) -> Text:
    if status.paused:
        return Text(PAUSED_SYMBOL, style=palette.get("state-paused"), end="")
    level = status.checkin_level
    return Text(CHECKIN_SYMBOLS.get(level, "?"), style=palette.checkin(level), end="")


def name_cell(status: WorkerStatus, palette: Palette) -> Text:
    return safe_text(status.name or status.id, limit=60)


def live_age(status: WorkerStatus, now: datetime) -> float | None:
    """Working seconds since the last check-in, measured now.

    This is the number the thresholds judge (and so the colour), the same one
    ``farwatch status`` shows as WORK AGE. Between derives it ticks only while
    the worker is inside their working hours; off hours it stands still.
    """
    if status.last_checkin is None:
        return None
    if status.checkin_work_age is None:  # no schedule to judge by: wall time
        return max(0.0, (now - status.last_checkin).total_seconds())
    since_derive = (now - status.local_time).total_seconds() if status.working_now else 0.0
    return max(0.0, status.checkin_work_age + max(0.0, since_derive))


def wall_age(status: WorkerStatus, now: datetime) -> float | None:
    """Wall-clock seconds since the last check-in (the detail shows it beside the work age)."""
    if status.last_checkin is None:
        return None
    return max(0.0, (now - status.last_checkin).total_seconds())


def humanize_age(seconds: float | None) -> str:
    """``3 hours``; ``just now`` under a minute, so labels change once a minute at most."""
    if seconds is None:
        return "never"
    if seconds < 60:
        return "just now"
    return humanize.naturaldelta(timedelta(seconds=int(seconds)))


def age_ago(seconds: float | None) -> str:
    """``3 hours ago``, ``just now`` (never "just now ago"), ``never``."""
    words = humanize_age(seconds)
    return words if seconds is None or seconds < 60 else f"{words} ago"


def age_label(status: WorkerStatus, now: datetime) -> str:
    """The words of the age cell; the cell changes only when these do."""
    return humanize_age(live_age(status, now))


def age_label_due(status: WorkerStatus, now: datetime) -> datetime:
    """When the age's words may next change; until then they cannot.

    ``humanize_age`` looks at whole seconds: under an hour it rounds them to
    minutes, so its words can change only on a half-minute boundary; under a
    day it rounds to hours (half-hour boundaries); past that it counts whole
    days. A tie on a boundary may round either way (``round`` goes to the even
    number), so the second after it is looked at too. A row is looked at
    again then, not every second: a worker three days quiet, once a day.
    """
    never = datetime.max.replace(tzinfo=now.tzinfo)
    age = live_age(status, now)
    if age is None:
        return never
    if status.checkin_work_age is not None and not status.working_now:
        return never  # off hours the work age stands still until the next derive
    seconds = int(age)
    unit = 30 if seconds < 3600 else 1800 if seconds < 86400 else 86400
    step = seconds + 1 if seconds % unit == 0 else (seconds // unit + 1) * unit
    return now + timedelta(seconds=step - age)


def age_cell(status: WorkerStatus, now: datetime, palette: Palette) -> Text:
    label = age_label(status, now)
    if status.paused:
        return Text(label, style=palette.get("state-paused"), no_wrap=True, end="")
    return Text(label, style=palette.checkin(status.checkin_level), no_wrap=True, end="")


def burn_bar(ratio: float | None, cells: int) -> tuple[str, str]:
    """Filled and empty parts of a bar ``cells`` wide (full past 100%)."""
    if ratio is None:
        return "", "·" * cells
    filled = min(cells, max(0, round(ratio * cells)))
    return "█" * filled, "░" * (cells - filled)


def format_hours(hours: float) -> str:
    if hours >= 100:
        return f"{hours:.0f}"
    text = f"{hours:.1f}"
    return text[:-2] if text.endswith(".0") else text


def burn_cell(
    status: WorkerStatus, palette: Palette, bar_cells: int = 6, width: int = BURN.width
) -> Text:
    """``██████✖ 66/60h 110%`` coloured by burn level, fitted to ``width`` cells.

    The state symbol (▲ near the cap, ✖ over it) sits right after the bar, so
    a cell that has to shorten loses decimals, then the percent, then the
    hours, and never the symbol: colour is never the only signal.
    """
    style = palette.burn(status.burn_level)
    filled, empty = burn_bar(status.burn, bar_cells)
    text = Text(no_wrap=True, end="")
    text.append(filled, style=style)
    text.append(empty, style=palette.get("burn-empty"))
    if status.cap_hours is None:
        text.append(f" {format_hours(status.hours_used)}h no cap", style=palette.get("muted"))
        text.truncate(width)
        return text
    mark = BURN_SYMBOLS.get(status.burn_level, "")
    text.append(mark, style=style)
    room = width - text.cell_len
    percent = f" {round((status.burn or 0.0) * 100)}%"
    exact, rounded = _hours_of(status, exact=True), _hours_of(status, exact=False)
    for hours in (exact, rounded):
        if len(hours) + len(percent) <= room:
            text.append(hours)
            text.append(percent, style=style)
            return text
    if len(rounded) <= room:
        text.append(rounded)
    return text


def _hours_of(status: WorkerStatus, *, exact: bool) -> str:
    used, cap = status.hours_used, status.cap_hours or 0.0
    if exact:
        return f" {format_hours(used)}/{format_hours(cap)}h"
    return f" {used:.0f}/{cap:.0f}h"


def task_cell(status: WorkerStatus, palette: Palette, width: int) -> Text:
    if not status.task:
        return Text("—", style=palette.get("muted"), end="")
    text = safe_text(status.task, limit=max(width, 8) * 2)
    if status.running:
        text = Text.assemble(Text("▶ ", style=palette.get("state-ok")), text, end="")
    text.truncate(width, overflow="ellipsis")
    return text


def local_time_cell(status: WorkerStatus, now: datetime, palette: Palette) -> Text:
    zone = zone_of(status.timezone)
    local = now.astimezone(zone) if zone is not None else status.local_time
    style = palette.get("state-never") if status.working_now else palette.get("muted")
    return Text(local.strftime("%H:%M"), style=style, end="")


def category_cell(status: WorkerStatus, palette: Palette) -> Text:
    return safe_text(status.category, limit=CATEGORY.width)


def sparkline(values: Sequence[float], cells: int) -> str:
    """Block characters for ``values`` squeezed into ``cells`` (max per bucket).

    Scaled absolutely (one tracked hour per hour is full) so two workers'
    lines compare at a glance; zero is the lowest block.
    """
    if not values:
        return ""
    data = list(values)
    step = max(1, -(-len(data) // cells))
    buckets = [max(data[i : i + step]) for i in range(0, len(data), step)][-cells:]
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[min(top, max(0, round(v * top)))] for v in buckets)


def activity_cell(status: WorkerStatus, palette: Palette) -> Text:
    return Text(sparkline(status.activity, ACTIVITY.width), style=palette.get("spark"), end="")


ROW_FIELDS = attrgetter(
    "id", "name", "paused", "checkin_level", "last_checkin", "burn", "burn_level",
    "hours_used", "cap_hours", "task", "running", "timezone", "working_now", "category",
)  # fmt: skip
"""What ``build_cells`` reads besides the clock and the sparkline: a re-derive
that changes none of these (only ages and local times moved) changes no cell
that ``tick`` would not already keep current."""


def build_cells(
    status: WorkerStatus, now: datetime, palette: Palette, columns: Sequence[str], task_width: int
) -> dict[str, Text]:
    """Every visible cell of one worker's row, by column key."""
    cells: dict[str, Text] = {}
    for key in columns:
        if key == "state":
            cells[key] = state_cell(status, palette)
        elif key == "name":
            cells[key] = name_cell(status, palette)
        elif key == "age":
            cells[key] = age_cell(status, now, palette)
        elif key == "burn":
            cells[key] = burn_cell(status, palette)
        elif key == "task":
            cells[key] = task_cell(status, palette, task_width)
        elif key == "local":
            cells[key] = local_time_cell(status, now, palette)
        elif key == "category":
            cells[key] = category_cell(status, palette)
        elif key == "activity":
            cells[key] = activity_cell(status, palette)
    return cells


def cell_signature(text: Text) -> tuple[object, ...]:
    """What makes two cells look the same (Text equality ignores the base style)."""
    return (text.plain, str(text.style), tuple(text.spans))


def matches(status: WorkerStatus, query: str) -> bool:
    """Does the filter text match this worker (name, task, category, email)?"""
    if not query:
        return True
    needle = query.casefold()
    hay = " ".join(
        clean(part, 200) for part in (status.name, status.task, status.category, status.email)
    )
    return needle in hay.casefold()
