"""The demo through the real files, sources, cache and engine.

What a user sees after ``farwatch demo``: the team written to disk, read back
by the sheet, maildir and timesheet sources, cached, and derived into the
promised mix of states; then the simulator's new mail and timers show up in
the next poll.
"""

from __future__ import annotations

import email
import email.utils
import mailbox
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_demo_team import assert_promised_mix

from farwatch.actions.pause import pause
from farwatch.actions.ping import ping
from farwatch.demo import simulator as simulator_module
from farwatch.demo.session import DemoSession, start_demo
from farwatch.demo.simulator import DELAY, FIRST_DELAY, Simulator
from farwatch.state.data_warnings import data_warnings
from farwatch.state.engine import Engine
from farwatch.state.status import WorkerStatus


class SteppedClock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at


def rows(engine: Engine) -> dict[str, WorkerStatus]:
    return {s.id: s for s in engine.statuses()}


def open_engine(session: DemoSession, clock: SteppedClock) -> Engine:
    engine = Engine(session.settings, clock=clock)
    engine.open()
    return engine


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[DemoSession, Engine, SteppedClock]]:
    clock = SteppedClock(datetime(2025, 6, 12, 13, 20, 5, tzinfo=UTC))
    session = start_demo(tmp_path / "demo", clock=clock)
    engine = open_engine(session, clock)
    engine.poll_all()
    yield session, engine, clock
    session.stop()
    engine.close()


@pytest.mark.parametrize("hhmm", ["03:00", "09:30", "15:00", "22:00"])
def test_one_real_poll_shows_every_promised_state(tmp_path: Path, hhmm: str) -> None:
    hour, minute = map(int, hhmm.split(":"))
    clock = SteppedClock(datetime(2025, 3, 19, hour, minute, 42, tzinfo=UTC))
    session = start_demo(tmp_path, clock=clock, simulate=False)
    engine = open_engine(session, clock)
    try:
        outcomes = engine.poll_all()
        assert all(o.ok for o in outcomes), [(o.source, o.error) for o in outcomes]
        assert {o.source for o in outcomes} == {"roster", "checkins", "timelog"}
        statuses = rows(engine)
        assert len(statuses) == 12
        assert_promised_mix(statuses, clock())
        # The mail from a sender on no roster is counted, not dropped.
        found = data_warnings(engine.snapshot(), clock())
        assert found["checkins"].unmatched >= 1 and found["checkins"].unmatched_who
        # ... and the one warning a first launch shows says what it is: a vendor's receipt
        health = {h.name: h for h in engine.health(clock())}
        (warning,) = health["checkins"].warnings
        assert warning.text.startswith(
            "mail from 'billing@clouddesk.example' ('Your CloudDesk receipt') matches nobody "
            "on the roster and is not counted"
        )
        assert sum(len(h.warnings) for h in health.values()) == 1
        # Non-ASCII subjects arrive intact.
        subjects = {s.last_checkin_subject for s in statuses.values()}
        assert any(not subject.isascii() for subject in subjects) or any(
            not c.subject.isascii() for c in engine.snapshot().checkins["checkins"]
        )
    finally:
        engine.close()


def test_simulated_checkin_is_picked_up_by_the_next_poll(
    demo: tuple[DemoSession, Engine, SteppedClock],
) -> None:
    session, engine, clock = demo
    assert session.simulator is not None
    before = rows(engine)
    event = session.simulator.step(clock.advance(15))
    assert event.kind == "checkin"  # the first change is always a new email
    engine.poll_all()
    after = rows(engine)
    worker = after[event.worker_id]
    assert worker.last_checkin == clock()
    assert worker.last_checkin != before[event.worker_id].last_checkin
    assert worker.checkins_total == before[event.worker_id].checkins_total + 1
    assert worker.last_checkin_subject == event.detail
    assert worker.checkin_level == "ok"


def test_simulated_timers_start_and_stop_through_the_time_log(
    demo: tuple[DemoSession, Engine, SteppedClock],
) -> None:
    session, engine, clock = demo
    sim = session.simulator
    assert sim is not None
    changed: set[str] = set()
    for _ in range(40):
        event = sim.step(clock.advance(15))
        if event.kind in ("timer_start", "timer_stop"):
            engine.poll_all()
            running = rows(engine)[event.worker_id].running
            assert running == (event.kind == "timer_start"), event
            changed.add(event.kind)
    assert changed == {"timer_start", "timer_stop"}
    # The states that make the demo worth watching are still there.
    final = rows(engine)
    assert any(s.running for s in final.values())
    assert final["cokafor"].checkin_level == "alert"
    assert final["jdelacruz"].checkin_level in ("warn", "alert")
    assert final["loliveira"].checkin_level == "off_hours"
    assert final["praghavan"].checkin_level == "never"
    assert final["fcosta"].paused


def test_simulator_thread_runs_steps_and_stops(tmp_path: Path) -> None:
    clock = SteppedClock(datetime(2025, 6, 12, 8, 0, tzinfo=UTC))
    session = start_demo(tmp_path, clock=clock, simulate=False)
    delays: list[float] = []

    def wait(seconds: float) -> bool:
        delays.append(seconds)
        clock.advance(seconds)
        return len(delays) > 4

    sim = Simulator(session.team, session.paths, clock=clock, wait=wait)
    box = mailbox.Maildir(str(session.paths.maildir), create=False)
    mail_before = len(box)
    sim.start()
    assert sim._thread is not None
    sim._thread.join(5)
    assert not sim.alive
    assert len(sim.events) == 4
    assert delays[0] == FIRST_DELAY
    assert all(DELAY[0] <= d <= DELAY[1] for d in delays[1:])
    checkins = sum(1 for e in sim.events if e.kind == "checkin")
    assert len(mailbox.Maildir(str(session.paths.maildir), create=False)) == mail_before + checkins


def test_session_stop_wakes_a_sleeping_simulator(tmp_path: Path) -> None:
    session = start_demo(tmp_path, now=datetime(2025, 6, 12, 8, 0, tzinfo=UTC))
    assert session.simulator is not None
    session.start()
    assert session.simulator.alive
    started = time.monotonic()
    session.stop()
    assert time.monotonic() - started < 1.5
    assert not session.simulator.alive
    assert session.simulator.events == []  # stopped during the first wait


def test_simulator_is_deterministic(tmp_path: Path) -> None:
    def run(folder: Path) -> list[tuple[str, str, str]]:
        clock = SteppedClock(datetime(2025, 6, 12, 8, 0, tzinfo=UTC))
        session = start_demo(folder, clock=clock, seed=11)
        assert session.simulator is not None
        events = [session.simulator.step(clock.advance(12)) for _ in range(8)]
        session.stop()
        return [(e.kind, e.worker_id, e.detail) for e in events]

    assert run(tmp_path / "a") == run(tmp_path / "b")


def test_maildir_holds_real_messages(tmp_path: Path) -> None:
    session = start_demo(tmp_path, now=datetime(2025, 6, 12, 8, 0, tzinfo=UTC), simulate=False)
    box = mailbox.Maildir(str(session.paths.maildir), factory=None, create=False)
    messages = [email.message_from_bytes(box.get_bytes(key)) for key in box.iterkeys()]
    assert len(messages) > 100
    assert all(m["Message-ID"] and m["Date"] and m["From"] for m in messages)
    assert any(m.is_multipart() for m in messages)
    assert any(m.get_content_type() == "multipart/mixed" for m in messages)
    senders = {email.utils.parseaddr(m["From"])[1].lower() for m in messages}
    roster = {w.persona.email.lower() for w in session.team.workers}
    assert senders - roster == {"billing@clouddesk.example"}
    assert session.team.worker("praghavan").persona.email.lower() not in senders


def test_a_ping_reaches_the_worker_who_writes_back(
    demo: tuple[DemoSession, Engine, SteppedClock],
) -> None:
    session, engine, clock = demo
    assert session.simulator is not None and session.inbox is not None
    session.inbox.start()
    assert rows(engine)["cokafor"].checkin_level == "alert"
    result = ping(engine, "cokafor")
    assert result.ok, result.describe()
    assert [m.worker_id for m in session.inbox.messages] == ["cokafor"]
    assert "Chinedu" in session.inbox.messages[0].body
    event = session.simulator.step(clock.advance(10))
    assert (event.kind, event.worker_id) == ("reply", "cokafor")
    engine.poll_all()
    row = rows(engine)["cokafor"]
    assert row.checkin_level == "ok" and row.last_checkin == clock()


def test_a_paused_worker_stops_their_timer_and_goes_quiet(
    demo: tuple[DemoSession, Engine, SteppedClock],
) -> None:
    session, engine, clock = demo
    sim = session.simulator
    assert sim is not None and session.inbox is not None
    session.inbox.start()
    assert rows(engine)["msantos"].running
    assert pause(engine, "msantos", "budget review").status == "done"
    assert [m.worker_id for m in session.inbox.messages] == ["msantos"]  # told, by IM
    event = sim.step(clock.advance(10))
    assert (event.kind, event.worker_id, event.detail) == ("timer_stop", "msantos", "paused")
    engine.poll_all()
    row = rows(engine)["msantos"]
    assert row.paused and not row.running
    later = [sim.step(clock.advance(15)) for _ in range(25)]
    assert all(e.worker_id != "msantos" for e in later)


def test_the_running_demo_answers_a_ping_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator_module, "FIRST_DELAY", 60.0)  # only the reply happens
    monkeypatch.setattr(simulator_module, "REPLY_DELAY", (0.05, 0.1))
    session = start_demo(tmp_path)
    engine = Engine(session.settings)
    engine.open()
    try:
        engine.poll_all()
        session.start()
        assert ping(engine, "praghavan").ok  # the new hire who never wrote
        sim = session.simulator
        assert sim is not None
        deadline = time.monotonic() + 5
        while not sim.events and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [(e.kind, e.worker_id) for e in sim.events] == [("reply", "praghavan")]
        engine.poll_all()
        assert rows(engine)["praghavan"].checkin_level != "never"
    finally:
        session.stop()
        engine.close()
