"""The timesheet source: a CSV time log with running timers and bad rows."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.registry import load_source_class
from farwatch.sources.timesheet import ALL_TIME, TimesheetSource, parse_time, parse_timesheet

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)

LOG = (
    "worker,start,end,task\n"
    "Ana@X.co,2025-03-03T01:00:00+08:00,2025-03-03T03:30:00+08:00,Invoices\n"
    "ben,2025-03-03T08:00:00Z,,Lead list\n"
    'ana@x.co,2025-03-03 04:00:00+08:00,2025-03-03 05:00:00+08:00,"Invoices, part 2"\n'
)


def write(path: Path, text: str, age: float = 3600.0) -> Path:
    path.write_text(text, encoding="utf-8")
    stamp = NOW.timestamp() - age
    os.utime(path, (stamp, stamp))
    return path


def test_entries_with_running_timer(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", LOG)
    result = TimesheetSource("hours", {"path": str(path)}).fetch({}, NOW)
    assert result.warnings == []
    ana1, ben, ana2 = result.entries
    assert ana1.who == "ana@x.co"
    assert ana1.start == datetime(2025, 3, 2, 17, 0, tzinfo=UTC)
    assert ana1.seconds(NOW) == 2.5 * 3600
    assert ben.who == "ben" and ben.running and ben.task == "Lead list"
    assert ben.seconds(NOW) == 4 * 3600
    assert ana2.task == "Invoices, part 2"
    assert result.entries_complete and result.running_complete
    assert result.entries_window == ALL_TIME
    assert len({e.key for e in result.entries}) == 3


def test_keys_are_stable_and_use_the_id_column(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", LOG)
    source = TimesheetSource("hours", {"path": str(path)})
    keys = [e.key for e in source.fetch({}, NOW).entries]
    # the same entry, stopped later and with reordered columns: same key
    write(path, "task,end,start,worker\nx,2025-03-03T09:00:00Z,2025-03-03T08:00:00Z,ben\n")
    (stopped,) = source.fetch({}, NOW).entries
    assert stopped.key == keys[1] and stopped.end is not None
    entries, _ = parse_timesheet("ID,Worker,Start\nT-9,a@x.co,2025-03-03T08:00:00Z\n")
    assert entries[0].key == "ts:T-9"


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    text = (
        "worker,start,end,task\n"
        "ana@x.co,2025-03-03T08:00:00Z,2025-03-03T09:00:00Z,ok\n"
        ",2025-03-03T08:00:00Z,,no worker\n"
        "ana@x.co,yesterday,,bad start\n"
        "ana@x.co,2025-03-03T08:00:00,,naive\n"
        "ana@x.co,2025-03-03T10:00:00Z,2025-03-03T09:00:00Z,backwards\n"
        'ana@x.co,2025-03-03T11:00:00Z,,"multi\nline task"\n'
        "ana@x.co,2025-03-03T08:00:00Z,2025-03-03T09:30:00Z,duplicate start\n"
        "ben@x.co,2025-03-03T11:00:00Z,,\n"
        "ben@x.co,2025-03-03T11:30:00Z,,second running\n"
        "\n,,,\n"
    )
    entries, warnings = parse_timesheet(text)
    assert [e.task for e in entries] == ["ok", "multi line task", "", "second running"]
    assert [str(w) for w in warnings] == [
        "line 3: no worker; row skipped",
        "line 4: start 'yesterday' is not an ISO 8601 date-time; row skipped",
        "line 5: start '2025-03-03T08:00:00' has no UTC offset (add Z or +hh:mm); row skipped",
        "line 6: end is before start; row skipped",
        "line 9: same entry as line 2 (same id, or same worker and start); row skipped",
        "line 11: ben@x.co already has a running entry on line 10",
    ]


def test_timezone_option_for_naive_times(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "worker,start,end\na,2025-03-03 09:00,2025-03-03 10:00\n")
    result = TimesheetSource("hours", {"path": str(path), "timezone": "Asia/Manila"}).fetch({}, NOW)
    assert result.entries[0].start == datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    with pytest.raises(SourceError, match="not an IANA timezone"):
        TimesheetSource("hours", {"path": str(path), "timezone": "Moon/Base"}).fetch({}, NOW)


def test_unchanged_file_is_not_reparsed(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", LOG + "x,bad,,\n")
    source = TimesheetSource("hours", {"path": str(path)})
    first = source.fetch({}, NOW)
    again = source.fetch(first.cursor, NOW + timedelta(seconds=30))
    assert again.unchanged and again.entries == []
    assert again.warnings == first.warnings  # still true of the file, still shown
    write(path, LOG.replace("Lead list", "Lead list B"), age=1800)
    changed = source.fetch(again.cursor, NOW + timedelta(seconds=60))
    assert not changed.unchanged and changed.entries[1].task == "Lead list B"


def test_header_only_is_an_empty_log_but_no_header_is_an_error(tmp_path: Path) -> None:
    assert parse_timesheet("worker,start,end,task\n") == ([], [])
    with pytest.raises(SourceError, match="is empty"):
        parse_timesheet("\n\n")
    with pytest.raises(SourceError) as info:
        parse_timesheet("name,when\nx,y\n", source="hours: log.csv")
    assert info.value.kind == "content"
    assert info.value.message == (
        "hours: log.csv has no worker or start column on line 1 (expected worker, start, end, task)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    with pytest.raises(SourceError) as info:
        TimesheetSource("hours", {"path": str(path)}).fetch({}, NOW)
    assert info.value.kind == "file"
    assert info.value.message == f"hours: time log {path} does not exist"
    advice = explain(info.value)
    assert "check the path" in advice and "network" not in advice


def test_hostile_text_and_nuls() -> None:
    entries, _ = parse_timesheet("worker,start,task\na\x00b,2025-03-03T08:00Z,[/]\x1b[2J\n")
    assert entries[0].who == "ab" and entries[0].task == "[/]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-03T08:00:00Z", datetime(2025, 3, 3, 8, tzinfo=UTC)),
        ("2025-03-03T08:00:00.5z", datetime(2025, 3, 3, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2025-03-03 16:00+08:00", datetime(2025, 3, 3, 8, tzinfo=UTC)),
        ("2025-03-02T23:00:00-09:00", datetime(2025, 3, 3, 8, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def test_registered_as_the_timesheet_entry_point() -> None:
    assert load_source_class("timesheet") is TimesheetSource


def test_a_whole_osc_sequence_in_a_task_leaves_no_visible_leftovers() -> None:
    text = "worker,start,end,task\nana@x.co,2026-03-02T09:00:00Z,,Invoices\x1b]0;pwned\x07 batch\n"
    entries, warnings = parse_timesheet(text)
    assert [str(w) for w in warnings] == []
    assert [e.task for e in entries] == ["Invoices batch"]


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-01:00"])
def test_a_row_dated_year_1_or_9999_is_skipped_and_the_good_rows_still_count(
    tmp_path: Path, stamp: str
) -> None:
    text = LOG + f"ana@x.co,{stamp},,Broken clock\n"
    path = write(tmp_path / "log.csv", text)
    result = TimesheetSource("hours", {"path": str(path)}).fetch({}, NOW)
    assert len(result.entries) == 3
    (warning,) = result.warnings
    assert warning.kind == "skipped"
    assert str(warning).startswith(f"line 5: start '{stamp}' is outside the years 1900-2199")
