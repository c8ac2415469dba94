"""strip_control: untrusted text printed by the CLI shows only visible characters."""

from __future__ import annotations

import pytest

from farwatch.state.text import strip_control


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ana Reyes", "Ana Reyes"),
        ("\x1b]0;pwned\x07Ana", "Ana"),  # OSC: retitles the terminal
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colour
        ("\x1b[2J\x1b[Hclear", "clear"),  # clear screen, cursor home
        ("a\x00b\x07c\x7fd", "abcd"),  # C0 and DEL
        ("x\x9b31my", "xy"),  # 8-bit CSI
        ("x\x85y", "x y"),  # C1 next-line is a line break
        ("evil\u202etxt.exe", "eviltxt.exe"),  # bidi override
        ("\u2066iso\u2069", "iso"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("tab\there", "tab here"),
        ("two\nlines\r\nthree", "two lines three"),
        ("a\u2028b", "a b"),
        ("café 日本 👩‍💻", "café 日本 👩💻"),  # the ZWJ goes, the visible characters stay
        ("[bold]not markup[/]", "[bold]not markup[/]"),  # markup is left for Text() to show
        ("nbsp\u00a0here", "nbsp here"),
    ],
)
def test_strip_control(raw: str, clean: str) -> None:
    assert strip_control(raw) == clean


def test_keep_newlines() -> None:
    assert strip_control("one\r\ntwo\rthree\n\x1b[1mfour", keep_newlines=True) == (
        "one\ntwo\nthree\nfour"
    )


def test_result_is_always_printable() -> None:
    hostile = "".join(chr(c) for c in range(0x00, 0x250)) + "\u202a\u202b\u202c\u202d\u202e"
    cleaned = strip_control(hostile)
    assert all(ch.isprintable() or ch == " " for ch in cleaned)
    assert "\x1b" not in cleaned and "\u202e" not in cleaned
