"""Worked time kept between refreshes is always what working it out again gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from farwatch.sources.model import TimeEntry
from farwatch.state.intervals import WorkedTime, worked_time
from farwatch.state.worked_memo import WorkedTimeMemo

BASE = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _entry(n: int, start: int, length: int | None) -> TimeEntry:
    begin = BASE + timedelta(minutes=start)
    end = None if length is None else begin + timedelta(minutes=length)
    return TimeEntry(f"e{n}", "ana@example.com", begin, end, "Invoices")


entry_lists = st.lists(
    st.tuples(st.integers(-600, 120), st.one_of(st.none(), st.integers(-5, 240))),
    max_size=8,
).map(lambda rows: [_entry(n, start, length) for n, (start, length) in enumerate(rows)])
asked_at = st.lists(st.integers(-700, 600), min_size=1, max_size=10)


def _same(a: WorkedTime, b: WorkedTime) -> bool:
    return (a.spans, a.entries, a.overlaps) == (b.spans, b.entries, b.overlaps)


@settings(max_examples=200, deadline=None)
@given(entry_lists, asked_at)
def test_the_memo_answers_as_working_it_out_would(
    entries: list[TimeEntry], minutes: list[int]
) -> None:
    """Running timers, entries ending later than ``now``, instants asked out of order."""
    memo = WorkedTimeMemo()
    for minute in minutes:
        now = BASE + timedelta(minutes=minute)
        assert _same(memo.worked_time("ana", entries, now), worked_time(entries, now))


def test_an_edited_entry_is_worked_out_again() -> None:
    memo = WorkedTimeMemo()
    entries = [_entry(0, -120, 60), _entry(1, -90, 60)]
    now = BASE
    first = memo.worked_time("ana", entries, now)
    assert [s.seconds for s in first.spans] == [5400.0]
    assert memo.worked_time("ana", list(entries), now + timedelta(minutes=1)) is first
    shorter = [entries[0], replace(entries[1], end=entries[1].start + timedelta(minutes=10))]
    again = memo.worked_time("ana", shorter, now + timedelta(minutes=2))
    assert [s.seconds for s in again.spans] == [3600.0]
    assert [o.seconds for o in again.overlaps] == [600.0]


def test_a_running_timer_grows_every_minute() -> None:
    memo = WorkedTimeMemo()
    entries = [_entry(0, -60, None)]
    seen = [
        memo.worked_time("ana", entries, BASE + timedelta(minutes=m)).spans[0].seconds
        for m in range(3)
    ]
    assert seen == [3600.0, 3660.0, 3720.0]


def test_equal_entries_read_again_get_an_answer_naming_them() -> None:
    """A cache read again holds equal but new entries; the overlaps must name those."""
    memo = WorkedTimeMemo()
    entries = [_entry(0, -120, 60), _entry(1, -90, 60)]
    memo.worked_time("ana", entries, BASE)
    reread = [replace(e) for e in entries]
    (overlap,) = memo.worked_time("ana", reread, BASE + timedelta(minutes=1)).overlaps
    assert overlap.earlier is reread[0] and overlap.later is reread[1]
