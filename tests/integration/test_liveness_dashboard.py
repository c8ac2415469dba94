"""The dashboard always quits, whatever a fetch is doing, and never outlives its terminal.

The real ``farwatch`` dashboard runs in a tmux pane (a private tmux server)
on a team kept in local files plus a tracker whose server accepts the request
and never answers, with a 10-minute timeout and deadline: nothing but quitting
can end that fetch while the test runs. Each test asserts that the process is
gone and that the local sources' data was saved.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from liveness_kit import (
    Dashboard,
    StuckHttp,
    add_tracker,
    gone,
    last_checkins,
    sources_by_name,
    status_json,
    wait_until,
)
from local_team import FARWATCH, LocalTeam

AT = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


@pytest.fixture
def hung_team(team: LocalTeam) -> Iterator[tuple[LocalTeam, StuckHttp]]:
    team.deliver("ana@example.com", "invoices reconciled", AT, "<live-2@example.com>")
    with StuckHttp("hang") as server:
        add_tracker(team, server, timeout="10m", deadline="10m")
        yield team, server


def running_dashboard(team: LocalTeam, server: StuckHttp, tag: str) -> Dashboard:
    """A dashboard that has drawn its table and is stuck fetching from ``server``."""
    dash = Dashboard(team, tag)
    try:
        assert wait_until(lambda: "Ana Reyes" in dash.screen(), 60), dash.screen()
        server.wait_for_request()
    except BaseException:
        dash.close()
        raise
    return dash


def assert_saved(team: LocalTeam) -> None:
    report = status_json(team)
    assert last_checkins(report)["ana@example.com"] is not None
    health = sources_by_name(report)
    assert health["mail"]["ok"] is True and health["roster"]["ok"] is True


@pytest.mark.parametrize("how", ["q", "SIGTERM", "SIGHUP"])
def test_the_dashboard_quits_while_a_fetch_hangs(
    hung_team: tuple[LocalTeam, StuckHttp], how: str
) -> None:
    team, server = hung_team
    dash = running_dashboard(team, server, how)
    try:
        if how == "q":
            dash.keys("q")
        else:
            os.kill(dash.pid, getattr(signal, how))
        assert wait_until(lambda: gone(dash.pid), 20), "the dashboard is still running"
    finally:
        dash.close()
    assert_saved(team)


def test_the_dashboard_exits_when_its_terminal_vanishes(
    hung_team: tuple[LocalTeam, StuckHttp],
) -> None:
    """tmux kill-session (an SSH session dropped): the process must be gone, not
    orphaned and spinning on a dead terminal."""
    team, server = hung_team
    dash = running_dashboard(team, server, "vanish")
    try:
        dash.kill_session()
        assert wait_until(lambda: gone(dash.pid), 20), "orphaned after its terminal went away"
    finally:
        dash.close()
    assert_saved(team)


def test_the_dashboard_refuses_an_input_at_its_end_instead_of_spinning(team: LocalTeam) -> None:
    """Standard input from /dev/null is at its end from the start: no key can ever
    quit, so the dashboard says why and exits rather than spin on it."""
    done = subprocess.run(
        [FARWATCH, "--config", str(team.config)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "the dashboard needs a terminal to read keys from" in done.stderr
    assert "Traceback" not in done.stderr
