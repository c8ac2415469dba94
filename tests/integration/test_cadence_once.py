"""Automatic reminders go out exactly once, whoever runs them: a ``farwatch poll``
daemon and two dashboards' poll loops on one cache, a real SMTP server counting.

Workers here work round the clock and ``checkin_warn`` is one minute, so the
outcome does not depend on when the suite runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from local_team import FARWATCH, LocalTeam, Poller, start_poller

from farwatch.state import audit
from tests.servers.nudge_kit import SmtpServer, smtp_server  # noqa: F401

ROSTER = (
    "name,email,timezone,hours,days\n"
    "Ana Reyes,ana@example.com,Asia/Manila,00:00-24:00,daily\n"
    "Ben Okafor,ben@example.com,Africa/Lagos,00:00-24:00,daily\n"
)

DASHBOARD_LOOP = """
import sys, time
from pathlib import Path
from farwatch.actions.cadence import run_reminders
from farwatch.cli.engine_ctx import opened_engine
from farwatch.state.config import load_settings

settings = load_settings(sys.argv[1])
stop, counter = Path(sys.argv[2]), Path(sys.argv[3])
rounds = 0
with opened_engine(settings, writer=False, warn_notices=False) as engine:
    while not stop.exists():
        engine.reload()
        run_reminders(engine)
        rounds += 1
        counter.write_text(str(rounds))
        time.sleep(0.01)
"""

KILLED_MID_SEND = """
import os, signal, sys
from farwatch.actions import channels
from farwatch.actions.cadence import run_reminders
from farwatch.cli.engine_ctx import opened_engine
from farwatch.state.config import load_settings

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

channels.send = die
with opened_engine(load_settings(sys.argv[1]), writer=False, warn_notices=False) as engine:
    run_reminders(engine)
"""


def reminding_team(team: LocalTeam, smtp: SmtpServer) -> LocalTeam:
    (team.root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    with team.config.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[thresholds]\ncheckin_warn = "1m"\ncheckin_alert = "2h"\n\n'
            '[policy]\nauto_nudge = true\nnudge_cooldown = "0s"\nauto_nudge_max_per_day = 5\n\n'
            f'[nudge]\nemail = "{smtp.url()}"\n'
        )
    return team


class Dashboards:
    """Processes running the dashboard's reminder step in a loop, counting rounds."""

    def __init__(self, team: LocalTeam, count: int) -> None:
        self.stop_file = team.root / "stop-dashboards"
        self.counters = [team.root / f"rounds-{n}" for n in range(count)]
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    DASHBOARD_LOOP,
                    str(team.config),
                    str(self.stop_file),
                    str(c),
                ],
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in self.counters
        ]

    def rounds(self) -> list[int]:
        return [int(c.read_text() or 0) if c.exists() else 0 for c in self.counters]

    def run_more(self, extra: int) -> None:
        """Wait until every loop has looked ``extra`` more times."""
        target = [r + extra for r in self.rounds()]

        def done() -> bool:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise AssertionError(f"a dashboard loop died: {proc.communicate()[1]}")
            return all(r >= t for r, t in zip(self.rounds(), target, strict=True))

        until(done)

    def stop(self) -> list[str]:
        self.stop_file.touch()
        errors = []
        for proc in self.procs:
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode:
                errors.append(err)
        return errors


@pytest.fixture
def dashboards(team: LocalTeam) -> Iterator[list[Dashboards]]:
    started: list[Dashboards] = []
    yield started
    for d in started:
        d.stop()


def until(condition: object, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("the processes never got there")
        time.sleep(0.05)


def test_a_daemon_and_two_dashboards_send_each_reminder_once(
    team: LocalTeam,
    smtp_server: SmtpServer,  # noqa: F811
    pollers: list[Poller],
    dashboards: list[Dashboards],
) -> None:
    reminding_team(team, smtp_server)
    now = datetime.now(UTC).replace(microsecond=0)
    team.deliver(
        "Ana Reyes <ana@example.com>", "Check-in: invoices", now - timedelta(minutes=10), "<a1@x>"
    )
    daemon = start_poller(team, pollers)
    daemon.wait_polled_all()
    loops = Dashboards(team, 2)
    dashboards.append(loops)

    until(lambda: len(smtp_server.mails) >= 1)
    loops.run_more(25)
    daemon.wait_polled_all(after=len(daemon.lines))
    assert [m.recipients for m in smtp_server.mails] == [["ana@example.com"]]

    # A new check-in ends the spell; the next one is reminded once more.
    team.deliver(
        "Ana Reyes <ana@example.com>", "Re: invoices", now - timedelta(minutes=5), "<a2@x>"
    )
    until(lambda: len(smtp_server.mails) >= 2)
    loops.run_more(25)
    daemon.wait_polled_all(after=len(daemon.lines))
    assert loops.stop() == []
    code, stderr = daemon.stop()
    assert code == 0, stderr

    assert [m.recipients for m in smtp_server.mails] == [["ana@example.com"]] * 2
    intents = [
        e
        for e in audit.read_entries(team.cache.with_name("audit.jsonl"))
        if e.action == "auto_ping" and e.outcome == "intent"
    ]
    assert len(intents) == 2 and len({e.detail.split()[0] for e in intents}) == 2


def test_killed_between_deciding_and_sending_is_never_sent_again(
    team: LocalTeam,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    (team.root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    now = datetime.now(UTC).replace(microsecond=0)
    team.deliver("Ana Reyes <ana@example.com>", "Check-in", now - timedelta(minutes=10), "<a1@x>")
    polled = subprocess.run(
        [FARWATCH, "poll", "--once", "--config", str(team.config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert polled.returncode == 0, polled.stderr
    reminding_team(team, smtp_server)  # reminders on from here

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SEND, str(team.config)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    log = team.cache.with_name("audit.jsonl")
    assert [e.action for e in audit.pending_intents(log)] == ["auto_ping"]

    # Restarts (a dashboard, then the daemon's --once) decide again: the occasion is taken.
    again = subprocess.run(
        [
            sys.executable,
            "-c",
            DASHBOARD_LOOP.replace("while not stop.exists()", "for _ in range(3)"),
            str(team.config),
            str(team.root / "unused-stop"),
            str(team.root / "rounds"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    once = subprocess.run(
        [FARWATCH, "poll", "--once", "--config", str(team.config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert once.returncode == 0, once.stderr
    assert smtp_server.mails == []
    assert [e.action for e in audit.pending_intents(log)] == ["auto_ping"]
