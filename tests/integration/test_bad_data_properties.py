"""Bad data is contained per row: arbitrary rows and records, out-of-range values,
wrong types and stray quotes never raise, and every input row is either loaded or
named in a warning (roster CSV, time log, audit lines, cache documents)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from farwatch.sources.csvroster import RosterFormatError, parse_roster
from farwatch.sources.timesheet import parse_timesheet
from farwatch.state import audit
from farwatch.state.cache import Cache
from farwatch.state.cache_schema import drop_invalid
from farwatch.state.data_warnings import data_warnings
from farwatch.state.derive import derive_statuses
from farwatch.state.settings import CacheSettings, Settings

FAST = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NOW = datetime(2025, 6, 11, 12, tzinfo=UTC)
TIMES = st.sampled_from(
    [
        "2025-06-11T09:00:00Z",
        "2025-06-11 17:30:00+08:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1899-12-31T23:00:00Z",
        "2025-06-11T09:00:00",
        "not a time",
        "",
    ]
)
NUMBERS = st.sampled_from(["10", "-5", "1e400", "NaN", "inf", "7:30", "12,50", "lots", ""])
# Cells never hold the delimiter or a line break, so each generated line is one
# row with all its columns; quotes may be stray and open at any point.
PLAIN = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters=',\n\r"#\x85\u2028\u2029'),
    max_size=12,
)
CELL = PLAIN | st.sampled_from(['"', '"24 inch monitor setup', 'x"', '""', "\x00", "\x1b]0;x\x07"])
ZONES = st.sampled_from(["Asia/Manila", "Asia/Manilla", "UTC", "Mars/Olympus", "", '"Europe/Kyiv'])


def _required_lines(lines: list[str]) -> set[int]:
    """CSV lines (1 is the header) that hold something beyond quotes and spaces."""
    return {i for i, line in enumerate(lines, start=2) if line.strip(' ,"\t\x00\x0b\x0c')}


def _named(warnings: list[Any]) -> set[int]:
    named: set[int] = set()
    for warning in warnings:
        for a, b in re.findall(r"lines? (\d+)(?:-(\d+))?", str(warning)):
            named.update(range(int(a), int(b or a) + 1))
    return named


@FAST
@given(st.lists(st.tuples(CELL, CELL, NUMBERS, ZONES, NUMBERS), max_size=15))
def test_every_roster_row_is_loaded_or_named(rows: list[tuple[str, str, str, str, str]]) -> None:
    lines = [",".join(cells) for cells in rows]
    try:
        parsed = parse_roster("name,email,cap_hours,timezone,rate\n" + "\n".join(lines) + "\n")
    except RosterFormatError:  # refused only when no line under the header holds anything
        assert not _required_lines(lines), lines
        return
    loaded = set(parsed.lines)
    missing = _required_lines(lines) - loaded - _named(parsed.warnings)
    assert not missing, (missing, [str(w) for w in parsed.warnings])
    assert all(r.timezone in ("", "UTC", "Asia/Manila", "Europe/Kyiv") for r in parsed.rows)


@FAST
@given(st.lists(st.tuples(CELL, TIMES, TIMES, CELL), max_size=15))
def test_every_time_log_row_is_loaded_or_named(rows: list[tuple[str, str, str, str]]) -> None:
    lines = [
        f"L{i},{who},{start},{end},{task}" for i, (who, start, end, task) in enumerate(rows, 2)
    ]
    entries, warnings = parse_timesheet("id,worker,start,end,task\n" + "\n".join(lines) + "\n")
    loaded = {int(e.key.removeprefix("ts:L")) for e in entries}
    assert not set(range(2, len(rows) + 2)) - loaded - _named(warnings)
    for entry in entries:  # everything loaded can be computed with
        assert 1900 <= entry.start.year < 2200
        assert entry.end is None or entry.end >= entry.start


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@FAST
@given(
    st.lists(
        st.fixed_dictionaries(
            {"id": st.text(max_size=6), "time": TIMES | JSONISH, "action": st.text(max_size=6)},
            optional={"worker": JSONISH, "outcome": JSONISH},
        )
        | JSONISH,
        max_size=10,
    )
)
def test_every_audit_line_is_read_or_named(tmp_path_factory: Any, lines: list[Any]) -> None:
    log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    audit.clear_cache()
    read = audit.read_log(log)
    assert len(read.entries) + len(read.skipped) == len(lines)
    audit.paused_workers(log)  # what status and auto-pause read never raises either


FIELD = JSONISH | TIMES | NUMBERS
DOCS = {
    "roster": st.fixed_dictionaries(
        {"source": st.just("sheet"), "worker_id": PLAIN, "name": FIELD},
        optional={"cap_hours": FIELD, "timezone": ZONES | FIELD, "hours": FIELD, "aliases": FIELD},
    ),
    "checkins": st.fixed_dictionaries(
        {"source": st.just("mail"), "key": PLAIN, "who": FIELD, "at": FIELD, "subject": FIELD}
    ),
    "entries": st.fixed_dictionaries(
        {"source": st.just("log"), "key": PLAIN, "who": FIELD, "start": FIELD},
        optional={"end": FIELD, "accrued_seconds": FIELD, "seen": FIELD},
    ),
    "health": st.fixed_dictionaries(
        {"name": st.just("log"), "type": FIELD},
        optional={"consecutive_failures": FIELD, "last_success": FIELD, "warnings": FIELD},
    ),
}


@FAST
@given(st.fixed_dictionaries({table: st.lists(docs, max_size=4) for table, docs in DOCS.items()}))
def test_every_cached_document_is_used_or_named(
    tmp_path_factory: Any, tables: dict[str, list[dict[str, Any]]]
) -> None:
    path: Path = tmp_path_factory.mktemp("cache") / "farwatch.db"
    data: dict[str, dict[str, Any]] = {"meta": {"1": {"schema": 1, "created": NOW.isoformat()}}}
    for table, docs in tables.items():
        data[table] = {str(i): doc for i, doc in enumerate(docs, 1)}
    path.write_text(json.dumps(data), encoding="utf-8")
    named = drop_invalid(json.loads(json.dumps(data)))
    dropped = {(d.table, d.doc_id) for d in named}
    cache = Cache.open(path, retention=0, writer=False)
    try:
        snapshot = cache.snapshot()
        derive_statuses(snapshot, Settings(path=None, cache=CacheSettings(path=path)), NOW)
        data_warnings(snapshot, NOW)
        if named:
            assert f"dropped {len(named)} unusable" in " ".join(cache.notices)
        key = {"roster": "worker_id", "checkins": "key", "entries": "key"}
        distinct = {
            (table, doc[key[table]])
            for table, docs in data.items()
            if table in key
            for doc_id, doc in docs.items()
            if (table, doc_id) not in dropped
        }
        assert sum(cache.record_count(s) for s in ("sheet", "mail", "log")) == len(distinct)
    finally:
        cache.close()
