"""Property-based tests for the parsers hostile input reaches that had none yet:
the time log, config durations, sheet links, Retry-After and IMAP BODYSTRUCTUREs.

Each parser either returns something well-formed or refuses with its own
error type and a reason; none may raise anything else on any input.
"""

from __future__ import annotations

import re
import string
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from farwatch.sources.base import SourceError
from farwatch.sources.http import parse_retry_after
from farwatch.sources.imap_mime import first_text_part
from farwatch.sources.model import SourceWarning
from farwatch.sources.netopts import as_seconds
from farwatch.sources.sheet import SheetSource
from farwatch.sources.sheet_http import redact, to_csv_url
from farwatch.sources.timesheet import parse_timesheet
from farwatch.state.config_types import DURATION_EXPECTED, format_duration, parse_duration

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CELL = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["2025-03-03T09:00:00Z", "2025-03-03 17:30:00+08:00", "", '"', '""', "\x00", "\x1b]0;x\x07"]
)


# -- the time log --------------------------------------------------------------


@FAST
@given(st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=12), st.sampled_from([",", ";"]))
def test_time_log_rows_become_valid_entries_or_line_warnings(
    rows: list[list[str]], sep: str
) -> None:
    text = "worker,start,end,task\n".replace(",", sep) + "\n".join(sep.join(r) for r in rows)
    try:
        entries, warnings = parse_timesheet(text, source="log")
    except SourceError as exc:  # only for a header it cannot use, and it says so
        assert exc.kind == "content" and exc.message
        return
    for entry in entries:
        assert entry.start.tzinfo is not None and entry.start.utcoffset() == timedelta(0)
        assert entry.end is None or entry.end.utcoffset() == timedelta(0)
        assert entry.who and entry.key
        assert entry.task.isprintable() and "\x1b" not in entry.task
    for warning in warnings:
        assert isinstance(warning, SourceWarning) and str(warning).startswith("line ")


@FAST
@given(st.text(max_size=400))
def test_time_log_never_raises_anything_but_a_parse_error(text: str) -> None:
    try:
        parse_timesheet(text)
    except SourceError as exc:
        assert exc.kind == "content" and exc.message


# -- durations -----------------------------------------------------------------


@FAST
@given(st.integers(min_value=1, max_value=400 * 86400))
def test_duration_round_trips_through_its_own_format(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@FAST
@given(st.text(alphabet=string.digits + "dhms. \t-+eE", max_size=20) | st.text(max_size=20))
def test_duration_is_seconds_or_a_value_error_that_says_what_is_expected(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        assert str(exc) == DURATION_EXPECTED
        return
    assert value >= 0
    assert re.fullmatch(r"(\s*\d+(\.\d+)?\s*[dhms])+\s*", text.lower())


@FAST
@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=False), st.none()))
def test_source_durations_are_seconds_or_a_config_error(value: Any) -> None:
    try:
        seconds = as_seconds(value, name="timeout", source="s")
    except SourceError as exc:
        assert exc.kind == "config" and "timeout" in exc.message
        return
    assert isinstance(seconds, float)


# -- sheet links -----------------------------------------------------------------

SHEET_ID = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=10, max_size=50)


@FAST
@given(
    SHEET_ID,
    st.integers(min_value=0, max_value=2**31),
    st.sampled_from(["/edit#gid={g}", "/edit?gid={g}#gid={g}", "/edit?usp=sharing", "", "/view"]),
)
def test_google_sheet_links_become_their_csv_export(sheet: str, gid: int, tail: str) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{sheet}" + tail.format(g=gid)
    csv = to_csv_url(url)
    want_gid = gid if "{g}" in tail else 0
    assert csv == (
        f"https://docs.google.com/spreadsheets/d/{sheet}/export?format=csv&gid={want_gid}"
    )
    assert to_csv_url(csv) == csv


@FAST
@given(st.text(max_size=80))
def test_any_link_is_converted_or_left_alone_and_redacted_safely(text: str) -> None:
    once = to_csv_url(text)
    assert to_csv_url(once) == once
    shown = redact(f"https://owner:pa55word@example.com/x?key={text}")
    assert "pa55word" not in shown


# -- Retry-After -------------------------------------------------------------------


@FAST
@given(st.text(max_size=40))
def test_retry_after_is_a_non_negative_wait_or_none(value: str) -> None:
    wait = parse_retry_after(value)
    assert wait is None or wait >= 0


@FAST
@given(st.integers(min_value=0, max_value=10**7))
def test_retry_after_seconds_and_http_dates(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == seconds
    now = time.time()
    when = datetime.fromtimestamp(int(now) + seconds, UTC)
    wait = parse_retry_after(format_datetime(when, usegmt=True), now=now)
    assert wait is not None and abs(wait - seconds) <= 1


# -- IMAP BODYSTRUCTURE -------------------------------------------------------------

ATOM = st.one_of(
    st.none(),
    st.integers(),
    st.binary(max_size=8),
    st.sampled_from([b"text", b"TEXT", b"plain", b"html", b"attachment", b"charset", b"base64"]),
)
STRUCTURE = st.recursive(
    ATOM,
    lambda inner: st.one_of(
        st.tuples(*[inner] * 3),
        st.lists(inner, max_size=12).map(tuple),
        st.tuples(st.lists(inner, max_size=3), inner),
    ),
    max_leaves=40,
)


@FAST
@given(STRUCTURE)
def test_any_bodystructure_yields_a_text_part_or_none(structure: Any) -> None:
    part = first_text_part(structure)
    if part is not None:
        assert re.fullmatch(r"\d+(\.\d+)*", part.section)
        assert part.subtype and part.charset and part.encoding


def test_a_broken_sheet_url_is_a_config_error_not_a_crash() -> None:
    source = SheetSource("roster", {"url": "http://[::1/roster.csv"})
    try:
        source.fetch({}, datetime.now(UTC))
    except SourceError as exc:
        assert exc.kind == "config" and "not a usable http(s) URL" in exc.message
    else:
        raise AssertionError("a broken URL was fetched")


def test_bodystructure_picks_plain_over_html_and_skips_attachments() -> None:
    html = (b"text", b"html", (b"charset", b"utf-8"), None, None, b"7bit", 10, 1)
    plain = (b"text", b"plain", (b"charset", b"iso-8859-1"), None, None, b"base64", 10, 1)
    attached = (*plain[:8], None, (b"attachment", (b"filename", b"a.txt")))
    part = first_text_part(([attached, html, plain], b"mixed"))
    assert part is not None and part.section == "3" and part.charset == "iso-8859-1"
    only_html = first_text_part(([attached, ([html], b"alternative")], b"mixed"))
    assert only_html is not None and only_html.section == "2.1" and only_html.subtype == "html"
