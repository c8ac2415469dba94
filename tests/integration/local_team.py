"""A small team kept in local files (roster CSV, Maildir, timesheet CSV) and real
``farwatch`` processes polling it: what the concurrency suites drive."""

from __future__ import annotations

import mailbox
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

FARWATCH = str(Path(sys.executable).with_name("farwatch"))
ROSTER = (
    "name,email,timezone,hours,days,cap_hours\n"
    "Ana Reyes,ana@example.com,Asia/Manila,00:00-23:59,daily,40\n"
    "Ben Okafor,ben@example.com,Africa/Lagos,00:00-23:59,daily,20\n"
)
SOURCES = ("roster", "mail", "hours")


@dataclass
class LocalTeam:
    """The files a ``[[sources]]``-configured farwatch reads, and its config."""

    root: Path
    config: Path = field(init=False)
    cache: Path = field(init=False)
    maildir: mailbox.Maildir = field(init=False)
    timesheet: Path = field(init=False)

    def __post_init__(self) -> None:
        self.cache = self.root / "cache.json"
        self.timesheet = self.root / "timesheet.csv"
        self.timesheet.write_text("worker,start,end,task\n", encoding="utf-8")
        roster = self.root / "roster.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        self.maildir = mailbox.Maildir(str(self.root / "Maildir"), create=True)
        self.config = self.root / "config.toml"
        self.config.write_text(
            f'[cache]\npath = "{self.cache}"\nretention = "3650d"\n\n'
            f'[[sources]]\ntype = "sheet"\nname = "roster"\ninterval = "1s"\npath = "{roster}"\n\n'
            f'[[sources]]\ntype = "maildir"\nname = "mail"\ninterval = "1s"\n'
            f'path = "{self.maildir._path}"\n\n'
            f'[[sources]]\ntype = "timesheet"\nname = "hours"\ninterval = "1s"\n'
            f'path = "{self.timesheet}"\n',
            encoding="utf-8",
        )

    def deliver(self, sender: str, subject: str, at: datetime, message_id: str) -> None:
        """A check-in email, delivered the way mbsync leaves one (mtime = arrival)."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["Subject"] = subject
        msg["Message-ID"] = message_id
        msg.set_content("On it; next update in two hours.\n")
        stored = mailbox.MaildirMessage(msg)
        stored.set_date(at.timestamp())
        self.maildir.add(stored)

    def log_time(self, worker: str, start: datetime, end: datetime | None, task: str) -> None:
        stop = end.isoformat() if end is not None else ""
        with self.timesheet.open("a", encoding="utf-8") as fh:
            fh.write(f"{worker},{start.isoformat()},{stop},{task}\n")

    def leftovers(self) -> list[str]:
        """Files an unsafe writer would leave: moved-aside corrupt caches, temp files."""
        return sorted(
            p.name for p in self.root.iterdir() if ".corrupt-" in p.name or ".tmp-" in p.name
        )


def farwatch(team: LocalTeam, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``farwatch <command> --config <team config> ...`` to completion."""
    command, *rest = args
    return subprocess.run(
        [FARWATCH, command, "--config", str(team.config), *rest],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Poller:
    """A ``farwatch poll`` loop in its own process; its stdout read line by line."""

    def __init__(self, team: LocalTeam) -> None:
        self.proc = subprocess.Popen(
            [FARWATCH, "poll", "--config", str(team.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._stopped: tuple[int, str] | None = None
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 20.0) -> int:
        """Wait for a line (from index ``after`` on) matching ``pattern``; its index."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for n in range(after, len(self.lines)):
                    if regex.search(self.lines[n]):
                        return n
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    exited = self.proc.poll() is not None and self.proc.stderr is not None
                    stderr = self.proc.stderr.read() if exited and self.proc.stderr else ""
                    raise AssertionError(
                        f"no line matching {pattern!r}; stdout: {self.lines}; stderr: {stderr}"
                    )
                self._seen.wait(min(left, 0.2))

    def wait_polled_all(self, *, after: int = 0) -> int:
        """Index of the line after which every source has been polled once more."""
        return max(self.wait_for(rf"  {name} +ok ", after=after) for name in SOURCES)

    def stop(self) -> tuple[int, str]:
        """SIGTERM (what systemd sends); the exit code and stderr (once; later calls
        return the same)."""
        if self._stopped is not None:
            return self._stopped
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self._stopped = (self.proc.returncode, stderr)
        return self._stopped


def start_poller(team: LocalTeam, pollers: list[Poller]) -> Poller:
    poller = Poller(team)
    pollers.append(poller)
    return poller


def lock_message(team: LocalTeam, pid: int) -> re.Pattern[str]:
    """What a second poller must say: who holds the cache, and what to do."""
    return re.compile(
        rf"^farwatch: cannot poll: the cache {re.escape(str(team.cache))} is being written by "
        rf"pid {pid} on \S+ \(farwatch poll\) since \d\d:\d\d; stop that process first, "
        r"or let it do the polling \(a dashboard can attach to its cache read-only\)$",
        re.MULTILINE,
    )
