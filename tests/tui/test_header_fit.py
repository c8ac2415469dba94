"""The header's left part drops whole parts, never half an amount or half a count."""

from __future__ import annotations

from farwatch.tui.widgets.header import fit_summary

COUNTS = "12 workers · 2 stale · 1 over cap · 1 paused"
PAY = "payable €1,080.00 · $1,035.19"
REMINDER = "next reminder: Ana Reyes at Tue 09:15 (overdue)"


def shown(width: int, view: str = "stalest first") -> str:
    return fit_summary(COUNTS, (PAY, REMINDER), view, width).plain


def test_everything_shows_when_there_is_room() -> None:
    assert shown(200) == f"farwatch  {COUNTS} · {PAY} · {REMINDER}  (stalest first)"


def test_a_part_that_does_not_fit_is_left_out_whole_and_a_later_one_may_still_show() -> None:
    width = len(f"farwatch  {COUNTS} · {PAY}  (stalest first)")
    assert shown(width) == f"farwatch  {COUNTS} · {PAY}  (stalest first)"
    assert shown(width - 1) == f"farwatch  {COUNTS} · {PAY}"


def test_an_amount_is_never_cut() -> None:
    for width in range(len(COUNTS), 120):
        text = shown(width)
        assert len(text) <= width
        assert ("payable" in text) == (PAY in text)
        assert ("next reminder" in text) == (REMINDER in text)


def test_the_counts_outrank_the_brand_and_are_cut_only_when_alone() -> None:
    assert shown(len(COUNTS)) == COUNTS
    narrow = fit_summary(COUNTS, (PAY,), "", 20)
    assert narrow.plain == COUNTS  # the widget's width cuts it, with an ellipsis
    assert narrow.overflow == "ellipsis"


def test_wide_characters_are_measured_in_cells() -> None:
    wide = "next reminder: 佐藤健 at Tue 09:15 (overdue)"
    width = len(f"farwatch  {COUNTS}") + len(f" · {wide}")  # three cells short
    assert wide not in fit_summary(COUNTS, (wide,), "", width).plain
    assert wide in fit_summary(COUNTS, (wide,), "", width + 3).plain
