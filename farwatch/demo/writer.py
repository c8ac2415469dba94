"""Write the demo team to disk as the files a real owner would have.

A roster CSV (what a shared sheet exports), a Maildir of check-in emails (what
mbsync or offlineimap keep in sync), a CSV time log (what a tracker exports),
an audit log holding one pause, and a config that ties them together. The
dashboard then reads them through the real sources and cache: nothing in the
demo bypasses what a user's own setup would go through.
"""

from __future__ import annotations

import csv
import io
import mailbox
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from farwatch.demo.messages import DemoCheckin
from farwatch.demo.people import OWNER
from farwatch.demo.team import DemoEntry, DemoTeam
from farwatch.sources.csvroster import COLUMNS
from farwatch.state import audit

# Every roster column but aliases (the demo workers have one address each).
ROSTER_COLUMNS = tuple(c for c in COLUMNS if c != "aliases")
TIMESHEET_COLUMNS = ("worker", "start", "end", "task")
DEMO_ACTOR = "dana@brightleaf"
"""Who the demo's audit log says paused the paused worker."""

# Polling intervals: short, so the dashboard visibly moves within a minute.
INTERVALS = {"roster": "30s", "checkins": "5s", "timelog": "10s"}


@dataclass(frozen=True, slots=True)
class DemoPaths:
    """Where the demo's files are."""

    root: Path

    @property
    def roster(self) -> Path:
        return self.root / "roster.csv"

    @property
    def maildir(self) -> Path:
        return self.root / "Maildir"

    @property
    def timesheet(self) -> Path:
        return self.root / "timesheet.csv"

    @property
    def config(self) -> Path:
        return self.root / "farwatch.toml"

    @property
    def cache(self) -> Path:
        return self.root / "cache.json"

    @property
    def audit(self) -> Path:
        return self.root / "audit.jsonl"


def write_demo(team: DemoTeam, root: Path, *, inbox_url: str = "") -> DemoPaths:
    """Write every demo file under ``root`` (created if needed).

    With ``inbox_url`` (the demo inbox's apprise URL, ``{to}`` for the
    worker) the config gets a ``[nudge.im.demo]`` channel and each roster
    ``im`` cell names the worker on it, as an owner's roster would.
    """
    paths = DemoPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    write_roster(team, paths.roster, with_im=bool(inbox_url))
    mailroom = Mailroom(paths.maildir)
    for worker in team.workers:
        for checkin in worker.checkins:
            mailroom.deliver(checkin, seen=checkin.at < team.now - timedelta(hours=1))
    for checkin in team.stray:
        mailroom.deliver(checkin, seen=False)
    entries = [e for w in team.workers for e in w.entries]
    zones = {w.persona.email: w.persona.timezone for w in team.workers}
    write_timesheet(paths.timesheet, entries, zones)
    for worker in team.workers:
        if worker.paused_since is not None:
            audit.append(
                paths.audit,
                audit.AuditEntry(
                    action="pause",
                    worker=worker.id,
                    channel="dashboard",
                    message=worker.pause_reason,
                    outcome="done",
                    time=worker.paused_since,
                    actor=DEMO_ACTOR,
                ),
            )
    paths.config.write_text(config_text(paths, inbox_url), encoding="utf-8")
    return paths


def write_roster(team: DemoTeam, path: Path, *, with_im: bool = False) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROSTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for worker in team.workers:
        writer.writerow(worker.roster_row(f"demo:{worker.id}" if with_im else ""))
    _replace(path, buffer.getvalue())


def _stamp(at: datetime | None, zone: str) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def write_timesheet(path: Path, entries: list[DemoEntry], zones: dict[str, str]) -> None:
    """Rewrite the time log atomically (a reader never sees half a file).

    Times carry the worker's own UTC offset, as a tracker's export would.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TIMESHEET_COLUMNS)
    for e in sorted(entries, key=lambda e: (e.start, e.who)):
        zone = zones.get(e.who, "UTC")
        writer.writerow((e.who, _stamp(e.start, zone), _stamp(e.end, zone), e.task))
    _replace(path, buffer.getvalue())


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_message(checkin: DemoCheckin) -> EmailMessage:
    """An RFC 5322 message for ``checkin``, in its style."""
    msg = EmailMessage()
    msg["From"] = checkin.sender
    msg["To"] = OWNER
    msg["Subject"] = checkin.subject
    msg["Date"] = format_datetime(checkin.at.astimezone(ZoneInfo(checkin.timezone)))
    msg["Message-ID"] = checkin.message_id
    if checkin.style == "base64":
        msg.set_content(checkin.body, cte="base64")
    else:
        msg.set_content(checkin.body)
    if checkin.style in ("html", "attachment"):
        paragraphs = "".join(
            f"<p>{_html_escape(p).replace(chr(10), '<br>')}</p>"
            for p in checkin.body.strip().split("\n\n")
        )
        msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    if checkin.style == "attachment":
        report = "item,status\nweekly summary,attached\n"
        msg.add_attachment(report.encode(), maintype="text", subtype="csv", filename="report.csv")
    return msg


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Mailroom:
    """Delivers demo check-ins into a Maildir, through ``mailbox.Maildir``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.box = mailbox.Maildir(str(root), create=True)

    def deliver(self, checkin: DemoCheckin, *, seen: bool = False) -> str:
        """Deliver ``checkin`` as if it arrived at ``checkin.at``; returns its key.

        The file's mtime and the leading timestamp of its Maildir name are both
        the delivery time, which is what readers take as "received". Seen mail
        goes to cur/ with the S flag, as a mail client leaves it.
        """
        message = mailbox.MaildirMessage(build_message(checkin).as_bytes())
        subdir, info = ("cur", ":2,S") if seen else ("new", "")
        if seen:
            message.set_subdir("cur")
            message.add_flag("S")
        when = checkin.at.astimezone(UTC).timestamp()
        message.set_date(when)
        key = self.box.add(message)
        # Maildir names start with the delivery time; mailbox stamps the current one.
        stamped = f"{int(when)}{key[key.index('.') :]}" if "." in key else key
        if stamped != key:
            folder = self.root / subdir
            os.rename(folder / f"{key}{info}", folder / f"{stamped}{info}")
        return stamped


def config_text(paths: DemoPaths, inbox_url: str = "") -> str:
    """The demo's config: a real, commented farwatch config for these files."""
    im = (
        "\n# Instant messages: the roster's im column says demo:<worker>; this channel\n"
        "# (here the demo's loopback inbox) holds the URL and any *_env secrets.\n"
        f'[nudge.im.demo]\nurl = "{inbox_url}"\n'
        if inbox_url
        else ""
    )

    def q(path: Path) -> str:
        return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return f"""\
# farwatch config for the demo team of Brightleaf Home Goods.
# Written by "farwatch demo"; every file it names lives in this folder.
# Copy it as a starting point: point the paths at your own roster, mail and time log.

[thresholds]
checkin_warn = "2h"     # working time since the last check-in before it is late
checkin_alert = "4h"
burn_warn = 0.8         # share of the cap that shows as a warning

[policy]
auto_pause_at_cap = false
nudge_cooldown = "30m"

[cache]
path = {q(paths.cache)}

[audit]
path = {q(paths.audit)}
{im}
# The roster: one row per worker (a CSV file; a shared sheet's CSV link works too).
[[sources]]
type = "sheet"
name = "roster"
path = {q(paths.roster)}
interval = "{INTERVALS["roster"]}"

# Check-in emails, as synced to a local Maildir by mbsync or offlineimap.
[[sources]]
type = "maildir"
name = "checkins"
path = {q(paths.maildir)}
interval = "{INTERVALS["checkins"]}"

# A CSV time log: worker, start, end (empty while the timer runs), task.
[[sources]]
type = "timesheet"
name = "timelog"
path = {q(paths.timesheet)}
interval = "{INTERVALS["timelog"]}"
"""
