"""Two ``farwatch poll`` processes on one config: one writes, the other is told who
does, and nothing is corrupted or duplicated."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta

from local_team import FARWATCH, LocalTeam, Poller, farwatch, lock_message, start_poller

from farwatch.state.cache import Cache


def cached(team: LocalTeam) -> tuple[list[str], list[str], list[str], list[str]]:
    """Roster names, check-in keys, entry keys (sorted) and any notices, read as a reader."""
    cache = Cache.open(team.cache, retention=0, writer=False)
    try:
        snap = cache.snapshot()
        notices = list(cache.notices)
    finally:
        cache.close()
    return (
        sorted(r.name for rows in snap.roster.values() for r in rows),
        sorted(c.key for items in snap.checkins.values() for c in items),
        sorted(e.key for items in snap.entries.values() for e in items),
        notices,
    )


def test_second_poller_is_told_who_holds_the_cache_and_corrupts_nothing(
    team: LocalTeam, pollers: list[Poller]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    team.deliver("Ana Reyes <ana@example.com>", "Check-in: invoices", now, "<a1@example.com>")
    team.log_time("ben@example.com", now - timedelta(hours=2), now - timedelta(hours=1), "QA")
    writer = start_poller(team, pollers)
    mark = writer.wait_polled_all()

    once = farwatch(team, "poll", "--once")
    assert once.returncode == 1
    assert once.stdout == ""
    assert lock_message(team, writer.pid).search(once.stderr), once.stderr

    loop = farwatch(team, "poll")  # a second daemon is refused the same way, at once
    assert loop.returncode == 1
    assert lock_message(team, writer.pid).search(loop.stderr), loop.stderr

    # The writer carries on: a new check-in is picked up and counted once.
    team.deliver("Ben Okafor <ben@example.com>", "Re: QA pass", now, "<b1@example.com>")
    writer.wait_for(r"  mail +ok +1 record \(1 new\)", after=mark)
    code, stderr = writer.stop()
    assert code == 0, stderr
    assert writer.lines[-1] == "stopped"

    # With the writer gone the next poller takes over and finds nothing new.
    after = farwatch(team, "poll", "--once")
    assert after.returncode == 0, after.stderr
    assert "took over" not in after.stderr  # the lock was released cleanly, not left behind
    polled = [line for line in after.stdout.splitlines() if "  ok  " in line]
    assert len(polled) == 3 and all("(0 new)" in line for line in polled), after.stdout
    names, checkins, entries, notices = cached(team)
    assert names == ["Ana Reyes", "Ben Okafor"]
    assert checkins == ["<a1@example.com>", "<b1@example.com>"]
    assert len(entries) == 1
    assert notices == []
    assert team.leftovers() == []


def test_two_pollers_started_together_exactly_one_writes(
    team: LocalTeam, pollers: list[Poller]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    team.deliver("Ana Reyes <ana@example.com>", "Check-in: invoices", now, "<a1@example.com>")
    for round_no in range(3):
        pair = [start_poller(team, pollers), start_poller(team, pollers)]
        deadline = time.monotonic() + 20
        while all(p.proc.poll() is None for p in pair) and time.monotonic() < deadline:
            time.sleep(0.05)
        refused = [p for p in pair if p.proc.poll() is not None]
        assert len(refused) == 1, f"round {round_no}: exit codes {[p.proc.poll() for p in pair]}"
        [loser] = refused
        [winner] = [p for p in pair if p is not loser]
        code, stderr = loser.stop()
        assert code == 1
        assert lock_message(team, winner.pid).search(stderr), stderr
        assert loser.lines == []  # it never claimed to poll
        winner.wait_polled_all()
        code, stderr = winner.stop()
        assert code == 0, stderr
        names, checkins, _, notices = cached(team)
        assert (names, checkins, notices) == (["Ana Reyes", "Ben Okafor"], ["<a1@example.com>"], [])
    assert team.leftovers() == []


def test_racing_one_shot_pollers_either_poll_or_are_told_and_never_corrupt(
    team: LocalTeam,
) -> None:
    """``poll --once`` from cron twice at the same minute: each one either polls or
    names the other; the cache ends whole, with every message exactly once."""
    now = datetime.now(UTC).replace(microsecond=0)
    expected = []
    for round_no in range(6):
        key = f"<m{round_no}@example.com>"
        team.deliver("Ana Reyes <ana@example.com>", f"Update {round_no}", now, key)
        expected.append(key)
        command = [FARWATCH, "poll", "--config", str(team.config), "--once"]
        pair = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        results = [(p.pid, *p.communicate(timeout=60), p.returncode) for p in pair]
        for pid, stdout, stderr, code in results:
            other = next(o for o, *_ in results if o != pid)
            if code == 0:
                assert "roster" in stdout and "mail" in stdout, stdout
            else:
                assert code == 1 and stdout == ""
                assert lock_message(team, other).search(stderr), stderr
        assert any(code == 0 for *_, code in results)
        _, checkins, _, notices = cached(team)
        assert checkins == sorted(expected)
        assert notices == []
    assert team.leftovers() == []
