"""Row order, grouping and the header summary: pure functions over statuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

from farwatch.state.status import WorkerStatus
from farwatch.tui.widgets.safe import clean

SortMode = Literal["stale", "burn", "name"]
SORT_MODES: tuple[SortMode, ...] = ("stale", "burn", "name")
SORT_LABELS: dict[SortMode, str] = {
    "stale": "stalest first",
    "burn": "highest burn first",
    "name": "by name",
}
GROUP_PREFIX = "group:"
NO_CATEGORY = "(none)"

_LEVEL_RANK = {"alert": 0, "warn": 1, "never": 2, "ok": 3, "off_hours": 4}


@lru_cache(maxsize=4096)
def _clean_name(name: str) -> str:
    return clean(name, 100).casefold()


def _name_key(status: WorkerStatus) -> str:
    return _clean_name(status.name or status.id)


def sort_key(status: WorkerStatus, mode: SortMode) -> tuple[object, ...]:
    """Sort key for one worker; ties always fall back to the name then the id."""
    name = _name_key(status)
    if mode == "burn":
        burn = status.burn if status.burn is not None else -1.0
        return (-burn, name, status.id)
    if mode == "name":
        return (name, status.id)
    rank = 5 if status.paused else _LEVEL_RANK.get(status.checkin_level, 3)
    # Whole minutes: equal ages tie on the name instead of flipping on float noise,
    # which would re-sort (and repaint) the table on every re-derive.
    age = status.checkin_work_age
    minutes = float("inf") if age is None else float(int(age // 60))
    return (rank, -minutes, name, status.id)


def category_of(status: WorkerStatus) -> str:
    return clean(status.category, 40) or NO_CATEGORY


def ordered_keys(statuses: Iterable[WorkerStatus], mode: SortMode, *, grouped: bool) -> list[str]:
    """Row keys in display order; with ``grouped``, a header key before each category."""
    ordered = sorted(statuses, key=lambda s: sort_key(s, mode))
    if not grouped:
        return [s.id for s in ordered]
    by_category: dict[str, list[str]] = {}
    for status in ordered:
        by_category.setdefault(category_of(status), []).append(status.id)
    keys: list[str] = []
    for category in sorted(by_category, key=lambda c: (c == NO_CATEGORY, c.casefold())):
        keys.append(GROUP_PREFIX + category)
        keys.extend(by_category[category])
    return keys


def summary(statuses: Sequence[WorkerStatus]) -> str:
    """``12 workers · 3 stale · 1 over cap · 1 paused`` (zero counts left out)."""
    total = len(statuses)
    parts = [f"{total} worker{'s' if total != 1 else ''}"]
    stale = sum(1 for s in statuses if s.stale)
    over = sum(1 for s in statuses if s.over_cap)
    paused = sum(1 for s in statuses if s.paused)
    if stale:
        parts.append(f"{stale} stale")
    if over:
        parts.append(f"{over} over cap")
    if paused:
        parts.append(f"{paused} paused")
    return " · ".join(parts)
