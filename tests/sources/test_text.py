"""The sources' strip_control: escape sequences go whole, even when cut short.

A subject or task name capped at a length limit can end in the middle of a
sequence ("\\x1b[3" of "\\x1b[31m"); its parameters must not show up as "[3".
"""

from __future__ import annotations

import pytest

from farwatch.sources import text as sources_text
from farwatch.sources.text import strip_control
from farwatch.state import text as state_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("abc\x1b[3", "abc"),  # CSI cut before its final byte
        ("abc\x1b[38;5;", "abc"),
        ("abc\x1b[3…", "abc…"),  # cut and an ellipsis appended
        ("x\x9b31", "x"),  # 8-bit CSI cut short
        ("abc\x1b]0;pwn", "abc"),  # OSC cut before its terminator
        ("Invoices\x1b]0;pwned\x07 batch", "Invoices batch"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b[", "a"),
    ],
)
def test_sequences_go_whole_even_when_cut_short(raw: str, clean: str) -> None:
    assert strip_control(raw) == clean


def test_state_uses_the_same_implementation() -> None:
    assert state_text.strip_control is sources_text.strip_control
