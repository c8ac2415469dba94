"""A source option and a config key read durations by the same grammar."""

from __future__ import annotations

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.netopts import as_seconds
from farwatch.state.config_types import parse_duration


@pytest.mark.parametrize("text", ["45s", "90m", "2h", "1h30m", "2d", "1.5h", " 5m "])
def test_what_the_config_reads_a_source_reads_the_same(text: str) -> None:
    assert as_seconds(text, name="timeout", source="imap") == parse_duration(text)


@pytest.mark.parametrize("text", ["90", "", "m", "30m2h", "soon"])
def test_what_the_config_refuses_a_source_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
    with pytest.raises(SourceError, match="imap: option timeout must be a duration"):
        as_seconds(text, name="timeout", source="imap")


def test_seconds_the_config_already_coerced_pass_through() -> None:
    assert as_seconds(5400.0, name="timeout", source="imap") == 5400.0
