"""`farwatch poll` stays live against peers that never finish.

Each test runs the real command against a team kept in local files (roster,
Maildir, time log) plus one misbehaving source on 127.0.0.1, and asserts that
the command ends and that the other sources' data was saved. The subprocess
timeouts are guards against a hang, far longer than any deadline used here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from liveness_kit import (
    StuckHttp,
    add_sheet_url,
    add_tracker,
    last_checkins,
    sources_by_name,
    status_json,
    wait_until,
)
from local_team import FARWATCH, LocalTeam, farwatch, start_poller

from farwatch.state.lock import WriterLock

AT = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


def deliver_checkin(team: LocalTeam) -> None:
    team.deliver("ana@example.com", "invoices reconciled", AT, "<live-1@example.com>")
    team.log_time("ana@example.com", AT - timedelta(hours=1), AT, "Invoices")


def assert_local_sources_saved(team: LocalTeam) -> None:
    report = status_json(team)
    assert last_checkins(report)["ana@example.com"] is not None
    health = sources_by_name(report)
    for name in ("roster", "mail", "hours"):
        assert health[name]["ok"] is True, health[name]


def lock_is_free(team: LocalTeam) -> bool:
    lock = WriterLock(team.cache)
    if lock.acquire():
        lock.release()
        return True
    return False


@pytest.mark.parametrize("peer", ["tracker", "sheet url"])
def test_poll_once_gives_up_on_a_slowloris_peer_at_its_deadline_and_saves_the_rest(
    team: LocalTeam, peer: str
) -> None:
    deliver_checkin(team)
    with StuckHttp("slowloris", drip=0.2) as server:
        if peer == "tracker":
            add_tracker(team, server, timeout="2s", deadline="3s")
            name = "clock"
        else:
            add_sheet_url(team, server, timeout="2s", deadline="3s")
            name = "sheet"
        done = farwatch(team, "poll", "--once", timeout=90)
        assert server.requests >= 1
    assert done.returncode == 0, done.stderr  # the other sources succeeded
    assert re.search(
        rf"^{name} +FAILED  timeout: {name}: no complete answer within 3 s", done.stdout, re.M
    ), done.stdout
    for local in ("roster", "mail", "hours"):
        assert re.search(rf"^{local} +ok ", done.stdout, re.M), done.stdout
    assert_local_sources_saved(team)
    failing = sources_by_name(status_json(team))[name]
    assert failing["ok"] is False
    assert "no complete answer within 3 s" in str(failing["last_error"])
    assert lock_is_free(team)  # the next cron run is not refused


def test_poll_once_survives_a_giant_tracker_body(team: LocalTeam) -> None:
    """A body past the transport's byte cap (when it has one), or a big one: the
    command ends, the tracker fails, the rest is saved."""
    from farwatch.sources import http

    cap = int(getattr(http, "MAX_BYTES", 32 * 1024 * 1024))
    deliver_checkin(team)
    with StuckHttp("giant", size=cap + 1024 * 1024) as server:
        add_tracker(team, server, timeout="10s", deadline="60s")
        done = farwatch(team, "poll", "--once", timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^clock +FAILED  ", done.stdout, re.M), done.stdout
    assert_local_sources_saved(team)


def test_poll_once_skips_a_fifo_in_the_maildir_and_fails_a_fifo_time_log(
    team: LocalTeam,
) -> None:
    deliver_checkin(team)
    os.mkfifo(Path(team.maildir._path) / "new" / "1700000000.fifo.host")
    team.timesheet.unlink()
    os.mkfifo(team.timesheet)
    done = farwatch(team, "poll", "--once", timeout=90)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^mail +ok +1 record ", done.stdout, re.M), done.stdout
    assert "skipped 1 entry" in done.stdout and "not a regular file" in done.stdout
    assert re.search(r"^hours +FAILED  file: .*is a FIFO \(named pipe\)", done.stdout, re.M)
    report = status_json(team)
    assert last_checkins(report)["ana@example.com"] is not None
    assert sources_by_name(report)["roster"]["ok"] is True


def threads_of(pid: int) -> int:
    """How many threads the process runs now (Linux's /proc)."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_poll_once_stopped_while_a_fetch_hangs_saves_the_sources_that_answered(
    team: LocalTeam, stop: signal.Signals
) -> None:
    deliver_checkin(team)
    with StuckHttp("hang") as server:
        add_tracker(team, server, timeout="10m", deadline="10m")
        proc = subprocess.Popen(
            [FARWATCH, "poll", "--once", "--config", str(team.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            server.wait_for_request()  # every fetch has started (the tracker's last)
            # the local sources' fetch threads have returned: main + the hung one are left
            assert wait_until(lambda: threads_of(proc.pid) <= 2, timeout=60)
            proc.send_signal(stop)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 128 + stop, (out, err)
    for local in ("roster", "mail", "hours"):
        assert re.search(rf"^{local} +ok ", out, re.M), out
    assert re.search(r"^clock +STOPPED no answer before the poll was stopped", out, re.M), out
    assert f"stopped by {stop.name}: saved the 3 sources that had answered; not saved: clock" in err
    assert "Traceback" not in err
    assert_local_sources_saved(team)
    clock = sources_by_name(status_json(team))["clock"]
    assert clock["last_attempt"] is None and clock["consecutive_failures"] == 0  # not its fault
    assert lock_is_free(team)


def test_the_daemon_polls_the_others_while_one_source_hangs_and_stops_on_sigterm(
    team: LocalTeam, pollers: list
) -> None:
    """Sources never wait for each other: the local ones keep being polled (and new
    mail saved) while the tracker's fetch hangs; SIGTERM then ends the daemon."""
    with StuckHttp("hang") as server:
        add_tracker(team, server, timeout="10m", deadline="10m")
        poller = start_poller(team, pollers)
        first = poller.wait_for(r"  mail +ok ")
        server.wait_for_request()
        again = poller.wait_for(r"  mail +ok ", after=first + 1)
        poller.wait_for(r"  mail +ok ", after=again + 1)
        deliver_checkin(team)
        assert wait_until(lambda: last_checkins(status_json(team))["ana@example.com"] is not None)
        code, stderr = poller.stop()
    assert code == 0, stderr
    assert "stopping without waiting for clock" in stderr
    assert not any("clock" in line and " ok " in line for line in poller.lines)
    assert lock_is_free(team)
