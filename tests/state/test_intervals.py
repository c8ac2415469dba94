"""Worked time counts each second once, however many entries cover it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from farwatch.sources.model import TimeEntry
from farwatch.state.intervals import worked_time

NOW = datetime(2025, 6, 9, 18, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, 9, hour, minute, tzinfo=UTC)


def entry(key: str, start: datetime, end: datetime | None, accrued: float = 0.0) -> TimeEntry:
    return TimeEntry(key=key, who="ana@example.com", start=start, end=end, accrued_seconds=accrued)


def test_one_hour_logged_three_times_is_one_hour_with_two_duplicates() -> None:
    hour = [entry(k, at(9), at(10)) for k in ("toggl-1", "sheet-4", "sheet-9")]
    worked = worked_time(hour, NOW)
    assert worked.seconds() == 3600
    assert len(worked.entries) == 1
    assert [(o.earlier.key, o.later.key, o.duplicate) for o in worked.overlaps] == [
        ("sheet-4", "sheet-9", True),
        ("sheet-4", "toggl-1", True),
    ]


def test_partly_overlapping_entries_count_their_union_and_name_both() -> None:
    worked = worked_time([entry("a", at(9), at(11)), entry("b", at(10), at(12))], NOW)
    assert worked.seconds() == 3 * 3600
    (overlap,) = worked.overlaps
    assert (overlap.earlier.key, overlap.later.key) == ("a", "b")
    assert (overlap.start, overlap.end, overlap.duplicate) == (at(10), at(11), False)


def test_disjoint_entries_add_up_and_window_clips() -> None:
    worked = worked_time([entry("a", at(9), at(10)), entry("b", at(13), at(14, 30))], NOW)
    assert worked.seconds() == 2.5 * 3600
    assert worked.overlaps == ()
    assert worked.seconds(at(9, 30), at(14)) == 1.5 * 3600
    assert worked.earliest(at(9, 30)) == at(9, 30)
    assert worked.earliest(at(11)) == at(13)


def test_running_entry_ends_at_now_and_future_time_is_not_counted() -> None:
    worked = worked_time([entry("run", at(17), None), entry("late", at(17, 30), at(19))], NOW)
    assert worked.seconds() == 3600
    assert len(worked.overlaps) == 1


def test_accrued_time_counts_once_per_distinct_entry_inside_the_window() -> None:
    twice = [entry("h1", at(9), at(10), accrued=600), entry("h2", at(9), at(10), accrued=600)]
    worked = worked_time(twice, NOW)
    assert worked.seconds() == 3600 + 600
    assert worked.seconds(at(9, 30)) == 1800


_minutes = st.integers(min_value=0, max_value=24 * 60)


@given(st.lists(st.tuples(_minutes, _minutes), max_size=30))
def test_union_never_exceeds_the_sum_nor_the_longest_and_matches_a_minute_grid(
    pairs: list[tuple[int, int]],
) -> None:
    base = datetime(2025, 6, 9, tzinfo=UTC)
    entries = [
        entry(f"k{i}", base + timedelta(minutes=a), base + timedelta(minutes=b))
        for i, (a, b) in enumerate(pairs)
    ]
    worked = worked_time(entries, base + timedelta(days=2))
    covered = {m for a, b in pairs for m in range(a, b)}
    assert worked.seconds() == len(covered) * 60
    assert all(x.end <= y.start for x, y in zip(worked.spans, worked.spans[1:], strict=False))
