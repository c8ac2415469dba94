"""The owner's daily digest: one plain-text message, and when it is due.

Plain text that reads the same in an email, Slack or Telegram: no markup of
its own, and worker-supplied text (names, source errors) has control
characters and markup characters removed, so a roster cannot format, link
or ping through the owner's channel.

What changed since yesterday is read from the previous digest's own record in
the audit log (its ``detail`` lists who was quiet, over the cap, paused...),
so it works across restarts and whoever sent it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from farwatch.state.audit import AuditEntry
from farwatch.state.pay import PayReport
from farwatch.state.pay_report import format_money
from farwatch.state.snapshot import SourceHealth
from farwatch.state.status import WorkerStatus
from farwatch.state.text import strip_control
from farwatch.state.workhours import Schedule, parse_hours, parse_timezone

DIGEST_ACTION = "digest"
OWNER_ALERT = "owner_alert"
QUEUED = "queued"
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MARKUP = re.compile(r"[<>*_`\[\]|~#]")
GROUPS = ("quiet", "never", "over", "near", "paused", "failing")
_TITLES = {
    "quiet": "Check-in overdue",
    "never": "Never checked in",
    "over": "Over the cap",
    "near": "Near the cap",
    "paused": "Paused",
    "failing": "Sources failing",
}


def plain(text: str, limit: int = 120) -> str:
    """Worker-supplied text made inert for any channel: one line, no markup."""
    text = _TAG.sub("", strip_control(text))
    return " ".join(_MARKUP.sub("", text).split())[:limit]


@dataclass(frozen=True, slots=True)
class Digest:
    subject: str
    body: str
    groups: dict[str, tuple[str, ...]]
    """Names per group, for tomorrow's "what changed"."""

    def summary(self) -> str:
        """The groups as one line for the audit record (names without spaces)."""
        return " ".join(
            f"{g}={','.join(n.replace(' ', '+') for n in self.groups[g])}" for g in GROUPS
        )


def parse_summary(detail: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {g: set() for g in GROUPS}
    for word in detail.split():
        group, sep, names = word.partition("=")
        if sep and group in found:
            found[group] = {n.replace("+", " ") for n in names.split(",") if n}
    return found


def previous_digest(entries: Sequence[AuditEntry]) -> AuditEntry | None:
    """The latest digest record (entries newest first)."""
    return next((e for e in entries if e.action == DIGEST_ACTION and e.outcome == QUEUED), None)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def build_digest(
    statuses: Sequence[WorkerStatus],
    health: Sequence[SourceHealth],
    pay: PayReport,
    entries: Sequence[AuditEntry],
    now: datetime,
    zone: str,
) -> Digest:
    """The digest at ``now`` (``entries`` newest first, for yesterday's)."""
    tz = parse_timezone(zone or "UTC")
    groups: dict[str, tuple[str, ...]] = {
        "quiet": tuple(plain(s.name) for s in statuses if s.stale),
        "never": tuple(plain(s.name) for s in statuses if s.last_checkin is None and not s.paused),
        "over": tuple(plain(s.name) for s in statuses if s.burn_level == "over"),
        "near": tuple(plain(s.name) for s in statuses if s.burn_level == "warn"),
        "paused": tuple(plain(s.name) for s in statuses if s.paused),
        "failing": tuple(plain(h.name) for h in health if h.consecutive_failures > 0),
    }
    by_name = {plain(s.name): s for s in statuses}
    errors = {plain(h.name): plain(h.last_error or "failing") for h in health}
    lines = [f"farwatch digest, {now.astimezone(tz):%a %d %b %Y %H:%M} ({zone or 'UTC'})", ""]
    for group in GROUPS:
        names = groups[group]
        lines.append(f"{_TITLES[group]}: {len(names) or 'none'}")
        for name in names:
            lines.append(f"  - {name}{_why(group, name, by_name, errors)}")
    lines += ["", "Hours and pay so far this period:"]
    for w in pay.workers:
        money = format_money(w.amount_payable, w.currency) if w.rate is not None else "no rate"
        lines.append(f"  - {plain(w.name)}: {_hours(w.seconds_logged)}, payable {money}")
    for total in (t for t in pay.totals if t.currency):
        lines.append(f"  Total payable: {format_money(total.amount_payable, total.currency)}")
    lines += ["", "Since the last digest:"]
    lines += _changes(groups, previous_digest(entries))
    subject = f"farwatch digest: {len(groups['quiet'])} overdue, {len(groups['over'])} over cap"
    return Digest(subject, "\n".join(lines) + "\n", groups)


def _why(group: str, name: str, by_name: dict[str, WorkerStatus], errors: dict[str, str]) -> str:
    if group == "failing":
        return f" ({errors.get(name, '')})"
    s = by_name.get(name)
    if s is None:
        return ""
    if group == "quiet" and s.checkin_work_age is not None:
        return f" ({_hours(s.checkin_work_age)} of working time since the last check-in)"
    if group in ("over", "near") and s.cap_hours is not None:
        return f" ({s.hours_used:.1f} of {s.cap_hours:g} h this {s.cap_period})"
    return ""


def _changes(groups: dict[str, tuple[str, ...]], previous: AuditEntry | None) -> list[str]:
    if previous is None:
        return ["  first digest: nothing to compare with"]
    before = parse_summary(previous.detail)
    lines = []
    for group in GROUPS:
        now_set = set(groups[group])
        new = sorted(now_set - before[group])
        gone = sorted(before[group] - now_set)
        if new:
            lines.append(f"  + {_TITLES[group].lower()}: {', '.join(new)}")
        if gone:
            lines.append(f"  - no longer {_TITLES[group].lower()}: {', '.join(gone)}")
    return lines or ["  nothing changed"]


CATCH_UP = timedelta(hours=12)
"""How long after its minute a digest nobody was looking at is still sent."""


def digest_day(at: str, zone: str, entries: Sequence[AuditEntry], now: datetime) -> date | None:
    """The owner's local day whose digest is due now and not yet queued, or None.

    That is the day of the latest ``at`` at or before ``now``: before today's
    minute it is yesterday's, if that minute passed less than ``CATCH_UP``
    ago. A digest due at 23:30 whose minute nobody looked at (an hourly cron,
    a laptop asleep) is queued at the next look after midnight, once, instead
    of being skipped for the new day; a digest first set up in the morning
    does not send yesterday's.
    """
    if not at:
        return None
    tz = parse_timezone(zone or "UTC")
    local = now.astimezone(tz)
    hh, mm = (int(p) for p in at.split(":"))
    day = local.date()
    if local.time() < time(hh, mm):
        day -= timedelta(days=1)
        if now - datetime.combine(day, time(hh, mm), tzinfo=tz) > CATCH_UP:
            return None
    key = f"digest:{day.isoformat()}"
    if any(e.action == DIGEST_ACTION and e.detail.split(" ", 1)[0] == key for e in entries):
        return None
    return day


def quiet_until(quiet_hours: str, zone: str, now: datetime) -> datetime | None:
    """When the owner's quiet hours containing ``now`` end; None when not quiet."""
    if not quiet_hours:
        return None
    tz = parse_timezone(zone or "UTC")
    name = getattr(tz, "key", zone or "UTC")
    quiet = Schedule(tz, parse_hours(quiet_hours), frozenset(range(7)), name)
    if not quiet.is_working(now):
        return None
    for _start, end in quiet.intervals(now, now + timedelta(days=2)):
        return end
    return None
