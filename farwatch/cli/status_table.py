"""``farwatch status`` without ``--json``: plain-text tables for people.

Plain characters only (no colour, no markup), every untrusted string passed
through ``strip_control``, and columns cut to the terminal width, so the
output is safe to read over SSH, in a cron mail or piped to a pager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size

from farwatch.state.cadence import Reminder
from farwatch.state.snapshot import SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.state.text import plural, strip_control

LEVEL_WORDS = {
    "ok": "ok",
    "warn": "LATE",
    "alert": "ALERT",
    "off_hours": "off",
    "never": "never",
}
BURN_WORDS = {"ok": "", "warn": "near cap", "over": "OVER CAP", "no_cap": ""}


def age(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h05m``, ``2d04h`` — short and sortable by eye."""
    if seconds is None:
        return "-"
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, with "…" when cut."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1).rstrip() + "…"


def _pad(text: str, width: int) -> str:
    """Padded to ``width`` cells: CJK and emoji take two, combining marks none."""
    return text + " " * max(0, width - cell_len(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, flex: int) -> str:
    """Left-aligned columns two spaces apart; column ``flex`` absorbs a narrow terminal.

    Widths are display cells, not code points, so a column of Chinese names
    or accented names lines up with the rest.
    """
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    over = sum(widths) + 2 * (len(widths) - 1) - width
    if over > 0:
        widths[flex] = max(cell_len(headers[flex]), widths[flex] - over)
    lines = []
    for row in [list(headers), *rows]:
        cells = [_pad(_cut(cell, widths[i]), widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _burn(s: WorkerStatus) -> str:
    used = f"{s.hours_used:.1f}"
    if s.cap_hours is None:
        return f"{used}h (no cap)"
    pct = f" {s.burn * 100:.0f}%" if s.burn is not None else ""
    word = BURN_WORDS.get(s.burn_level, "")
    return f"{used}/{s.cap_hours:g}h{pct}" + (f" {word}" if word else "")


def _state(s: WorkerStatus) -> str:
    if s.paused:
        return "paused"
    return "running" if s.running else ""


def no_workers(has_sources: bool, health: Sequence[SourceHealth] = ()) -> str:
    """Why the table is empty and what to do: never "poll" when polling cannot help."""
    if not has_sources:
        return (
            "No workers yet: no sources configured (add [[sources]] tables to the config, "
            "a roster first; `farwatch init` writes examples)."
        )
    failing = [strip_control(h.name) for h in health if h.consecutive_failures]
    if failing:
        return f"No workers yet: {', '.join(failing)} failing (the reason is below)."
    if health and all(h.last_success for h in health):
        return "No workers: the roster was read and has no rows (add a row per worker)."
    return "No workers yet: no roster in the cache (run `farwatch poll --once`)."


def workers_table(
    statuses: Iterable[WorkerStatus],
    width: int,
    has_sources: bool = True,
    health: Sequence[SourceHealth] = (),
) -> str:
    headers = ("NAME", "LOCAL", "CAT", "CHECK-IN", "WORK AGE", "BURN", "STATE", "TASK")
    rows = []
    for s in statuses:
        shown_age = s.checkin_work_age if s.checkin_work_age is not None else s.checkin_age
        rows.append(
            (
                strip_control(s.name),
                s.local_time.strftime("%a %H:%M"),
                strip_control(s.category),
                LEVEL_WORDS.get(s.checkin_level, s.checkin_level),
                age(shown_age) if s.last_checkin else "-",
                _burn(s),
                _state(s),
                strip_control(s.task) or "-",
            )
        )
    if not rows:
        return no_workers(has_sources, health)
    return table(headers, rows, width, flex=len(headers) - 1)


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    seconds = (now - at.astimezone(UTC)).total_seconds()
    if seconds < 0:  # ``--now`` in the past: this success came after it
        return age(-seconds) + " later"
    return age(seconds) + " ago"


def sources_table(
    health: Iterable[SourceHealth], unmatched: Mapping[str, int], now: datetime, width: int
) -> str:
    headers = ("SOURCE", "TYPE", "STATUS", "LAST OK", "RECORDS", "UNMATCHED")
    rows = []
    errors = []
    for h in health:
        status = "ok" if h.ok else ("FAILING" if h.consecutive_failures else "not polled")
        if h.consecutive_failures and h.last_error:
            errors.append(f"{strip_control(h.name)}: {strip_control(h.last_error)}")
        rows.append(
            (
                strip_control(h.name),
                h.type,
                status,
                _when(h.last_success, now),
                str(h.records),
                str(unmatched.get(h.name, 0)),
            )
        )
    if not rows:
        return "No sources configured."
    # An error is never cut: what is wrong is often at its end ("... does not exist").
    return "\n".join([table(headers, rows, width, flex=0), *errors])


def team_summary(statuses: Sequence[WorkerStatus]) -> str:
    """The dashboard's header words: ``12 workers, 2 stale, 1 over cap, 1 paused``."""
    stale = sum(1 for s in statuses if s.stale)
    over = sum(1 for s in statuses if s.over_cap)
    paused = sum(1 for s in statuses if s.paused)
    return f"{plural(len(statuses), 'worker')}, {stale} stale, {over} over cap, {paused} paused"


SHOWN_WARNINGS = 3
"""Warnings listed per source under the table; ``farwatch check`` lists them all."""
_KIND_WORDS = {
    "skipped": ("row skipped", "rows skipped"),
    "unparseable": ("unreadable", "unreadable"),
    "unmatched": ("unmatched", "unmatched"),
    "overlap": ("overlap", "overlaps"),
    "cap": ("limit hit", "limits hit"),
    "cell": ("bad cell", "bad cells"),
    "note": ("note", "notes"),
}


def warning_lines(health: Iterable[SourceHealth]) -> list[str]:
    """Under the sources table: per source, what its warnings count, then the first few.

    ``roster: 1 row skipped — line 5: timezone 'Asia/Manilla' unknown (...)``.
    """
    lines: list[str] = []
    for h in health:
        if not h.warnings:
            continue
        counts: dict[str, int] = {}
        for w in h.warnings:
            counts[w.kind] = counts.get(w.kind, 0) + 1
        words = ", ".join(
            f"{n} {_KIND_WORDS[kind][n != 1]}" for kind, n in counts.items() if kind in _KIND_WORDS
        )
        name = strip_control(h.name)
        for i, w in enumerate(h.warnings[:SHOWN_WARNINGS]):
            lead = f"{name}: {words} — " if i == 0 else " " * (len(name) + 2)
            lines.append(lead + strip_control(w.text))  # whole: a cut warning hides the fix
        more = max(h.warnings_total, len(h.warnings)) - SHOWN_WARNINGS
        if more > 0:
            lines.append(f"{' ' * (len(name) + 2)}… and {more} more (farwatch check lists them)")
    return lines


def reminder_lines(
    statuses: Sequence[WorkerStatus], reminders: Mapping[str, Reminder], width: int
) -> list[str]:
    """``Next automatic reminders:`` soonest first, in UTC and the worker's own time."""
    names = {s.id: s for s in statuses}
    lines = ["Next automatic reminders:"]
    for reminder in sorted(reminders.values(), key=lambda r: (r.due, r.worker)):
        worker = names.get(reminder.worker)
        who = strip_control(worker.name) if worker else strip_control(reminder.worker)
        what = "check-in overdue" if reminder.kind == "overdue" else "start of shift"
        when = reminder.due.astimezone(UTC).strftime("%a %H:%M UTC")
        if worker is not None:
            local = reminder.due.astimezone(worker.local_time.tzinfo).strftime("%H:%M")
            when += f" ({local} theirs)"
        lines.append(set_cell_size(f"  {when}  {who}: {what}", width).rstrip())
    return lines


def render(
    statuses: Sequence[WorkerStatus],
    health: Sequence[SourceHealth],
    unmatched: Mapping[str, int],
    now: datetime,
    width: int = 100,
    reminders: Mapping[str, Reminder] | None = None,
) -> str:
    """Both tables with a one-line heading (and who is reminded next, when on)."""
    when = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = f"{team_summary(statuses)}  (as of {when})"
    sources = sources_table(health, unmatched, now, width)
    warnings = warning_lines(health)
    if warnings:
        sources += "\n\n" + "\n".join(warnings)
    parts = [heading, workers_table(statuses, width, has_sources=bool(health), health=health)]
    if reminders:
        parts.append("\n".join(reminder_lines(statuses, reminders, width)))
    return "\n\n".join([*parts, sources])
