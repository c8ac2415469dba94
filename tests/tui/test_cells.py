"""What a row shows, without an app: columns by width, bars, sparkline, alerts, order."""

from __future__ import annotations

from dataclasses import replace

from tui_fakes import NOW, status, team

from farwatch.tui.alerts import crossings
from farwatch.tui.cells import burn_cell, humanize_age, plan_columns, sparkline, task_cell
from farwatch.tui.ordering import ordered_keys, summary
from farwatch.tui.palette import PLAIN


def keys(width: int) -> list[str]:
    return [c.key for c in plan_columns(width)[0]]


def test_columns_drop_by_priority_as_the_terminal_narrows() -> None:
    assert keys(120) == ["state", "name", "age", "burn", "task", "local", "category", "activity"]
    assert keys(100) == ["state", "name", "age", "burn", "task", "local"]
    assert keys(80) == ["state", "name", "age", "burn", "task"]
    columns, task_width = plan_columns(80)
    used = sum(c.width + 2 for c in columns if c.key != "task") + 2
    assert used + task_width <= 80


def test_burn_cell_shows_hours_percent_and_a_symbol_past_the_cap() -> None:
    assert burn_cell(status("a", "A", used=44, cap=40), PLAIN).plain == "██████✖ 44/40h 110%"
    assert burn_cell(status("a", "A", used=33, cap=40), PLAIN).plain == "█████░▲ 33/40h 82%"
    assert burn_cell(status("a", "A", used=12.5, cap=None), PLAIN).plain.endswith("12.5h no cap")


def test_sparkline_is_absolute_and_fits_its_cells() -> None:
    line = sparkline([0.0] * 12 + [1.0] * 12, 12)
    assert line == "▁" * 6 + "█" * 6
    assert len(sparkline([0.5] * 24, 12)) == 12
    assert sparkline([], 12) == ""


def test_running_task_is_marked_and_truncated_to_the_column() -> None:
    text = task_cell(status("a", "A", task="x" * 100, running=True), PLAIN, 20)
    assert text.plain.startswith("▶ ") and len(text.plain) == 20 and text.plain.endswith("…")


def test_ages_read_like_a_person_would_say_them() -> None:
    assert humanize_age(None) == "never"
    assert humanize_age(30) == "just now"
    assert humanize_age(5 * 60) == "5 minutes"
    assert humanize_age(3 * 3600) == "3 hours"


def test_stalest_first_puts_alerts_then_warnings_then_paused_last() -> None:
    order = ordered_keys(team(), "stale", grouped=False)
    assert order[:3] == ["chen", "eve", "ben"] and order[-1] == "jon"
    grouped = ordered_keys(team(), "name", grouped=True)
    assert grouped[0] == "group:BPO" and grouped[1] == "dara"


def test_crossings_fire_once_per_rise_and_never_for_paused_or_new_workers() -> None:
    before = {s.id: s for s in team()}
    after = [replace(s, checkin_level="warn") if s.id in ("kai", "jon") else s for s in team()] + [
        status("new", "New Person", level="alert", age_hours=9)
    ]
    found = crossings(before, after)
    assert [(c.worker_id, c.kind, c.level) for c in found] == [("kai", "checkin", "warn")]
    assert crossings({s.id: s for s in after}, after) == []
    assert "Kai Mendoza" in found[0].text


def test_summary_leaves_out_zero_counts() -> None:
    assert summary([status("a", "A")]) == "1 worker"
    assert summary([status("a", "A", level="alert", age_hours=5, now=NOW)]) == "1 worker · 1 stale"


def test_an_age_label_holds_until_its_due_moment_and_then_may_change() -> None:
    from datetime import timedelta

    from farwatch.tui.cells import age_label, age_label_due

    ages = (0.2, 1.5, 4.5, 5.99, 44.5, 59.9, 61, 89.5, 119.7, 1439.5, 1440.5, 7 * 1440 + 3)
    for minutes_ago in ages:
        worker = replace(
            status("a", "A"),
            last_checkin=NOW - timedelta(minutes=minutes_ago),
            checkin_work_age=minutes_ago * 60,
        )
        at = NOW
        for _ in range(3):  # three looks in a row
            due = age_label_due(worker, at)
            assert at < due <= at + timedelta(days=1)
            label = age_label(worker, at)
            span = due - at
            for tenth in range(10):
                assert age_label(worker, at + span * tenth / 10) == label
            assert age_label(worker, due - timedelta(microseconds=1)) == label
            at = due
    five = replace(
        status("a", "A"),
        last_checkin=NOW - timedelta(minutes=5, seconds=20),
        checkin_work_age=5 * 60 + 20,
    )
    assert age_label(five, NOW) == "5 minutes"
    assert age_label(five, age_label_due(five, NOW)) == "6 minutes"
    never = replace(status("a", "A"), last_checkin=None)
    assert age_label_due(never, NOW) > NOW + timedelta(days=3650)


def test_an_age_is_looked_at_again_at_every_second_its_words_change_and_rarely_else() -> None:
    """Second by second through a day and a bit, and around the third day: every
    change of words falls on a due moment; an age of days is looked at daily."""
    from datetime import timedelta

    from farwatch.tui.cells import age_label_due, humanize_age

    def due_after(seconds: int) -> int:
        worker = replace(status("a", "A"), checkin_work_age=float(seconds))
        return seconds + round((age_label_due(worker, NOW) - NOW).total_seconds())

    for start, end in ((0, 26 * 3600), (3 * 86400 - 3600, 3 * 86400 + 3600)):
        looks, changes, missed = 0, 0, []
        due, label = due_after(start), humanize_age(start)
        for second in range(start + 1, end):
            words = humanize_age(second)
            if words != label:
                changes += 1
                if second != due:
                    missed.append((second, label, words))
            label = words
            if second >= due:
                due, looks = due_after(second), looks + 1
        assert missed == []
        # each change of words costs at most a boundary and its tie on either side
        assert looks <= 4 * changes + 2, (looks, changes)
    quiet = replace(status("a", "A"), checkin_work_age=3.2 * 86400)
    assert age_label_due(quiet, NOW) - NOW > timedelta(hours=19)


def test_the_over_cap_symbol_survives_a_running_timers_decimals() -> None:
    """66.1/60h used to push the ✖ out of the cell, leaving colour as the only signal."""
    for used, cap, mark in [(66.1, 60, "✖"), (1234.5, 999.9, "✖"), (33.3, 40, "▲")]:
        for width in (20, 16, 12, 8):
            cell = burn_cell(status("a", "A", used=used, cap=cap), PLAIN, width=width)
            assert cell.cell_len <= width
            assert cell.plain[6] == mark  # right after the bar, whatever is shortened
    assert burn_cell(status("a", "A", used=66.1, cap=60), PLAIN).plain == "██████✖ 66/60h 110%"


def test_a_narrow_terminal_keeps_state_name_age_and_burn() -> None:
    assert keys(60) == ["state", "name", "age", "burn"]
    assert keys(40) == ["state", "name", "age", "burn"]
    assert keys(61) == ["state", "name", "age", "burn", "task"]


def test_the_age_column_is_the_working_age_the_colour_judges() -> None:
    """A check-in yesterday before the shift ended is hours old in working time, not a day."""
    from datetime import timedelta

    from farwatch.tui.cells import AGE, age_label, age_label_due

    assert AGE.label == "Work age"
    yesterday = replace(
        status("a", "A", level="warn"),
        last_checkin=NOW - timedelta(hours=20),
        checkin_age=20 * 3600,
        checkin_work_age=2.5 * 3600,
    )
    assert age_label(yesterday, NOW) == "2 hours"
    # inside working hours it keeps ticking between derives ...
    assert age_label(yesterday, NOW + timedelta(minutes=40)) == "3 hours"
    # ... off hours it stands still, so the row is not looked at again until a derive
    resting = replace(yesterday, working_now=False)
    assert age_label(resting, NOW + timedelta(hours=5)) == "2 hours"
    assert age_label_due(resting, NOW) > NOW + timedelta(days=3650)


def test_ago_never_says_just_now_ago() -> None:
    from farwatch.tui.cells import age_ago

    assert age_ago(12) == "just now"
    assert age_ago(3 * 3600) == "3 hours ago"
    assert age_ago(None) == "never"
