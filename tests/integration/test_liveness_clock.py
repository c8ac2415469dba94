"""A wall-clock step in either direction changes nothing but the times shown.

The real ``farwatch poll`` loop runs on an engine whose wall clock the test
steps two hours back, then four hours forward (an NTP correction, a laptop
waking up); after each step a new check-in lands in the Maildir and must
reach the cache, so polling went on. With due times on the wall clock, the
step back alone would have stopped every poll for two hours.
"""

from __future__ import annotations

import mailbox
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from liveness_kit import wait_until
from servers import make_engine

from farwatch.cli.poll_cmd import run_forever
from farwatch.state.engine import Engine
from farwatch.state.settings import SourceSettings


class SteppedClock:
    """The system clock plus an offset the test changes."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def deliver(box: mailbox.Maildir, n: int) -> None:
    msg = EmailMessage()
    msg["From"] = "ana@example.com"
    msg["Subject"] = f"update {n}"
    msg["Message-ID"] = f"<step-{n}@example.com>"
    msg.set_content("on it\n")
    stored = mailbox.MaildirMessage(msg)
    stored.set_date(datetime.now(UTC).timestamp())
    box.add(stored)


def subjects(engine: Engine) -> set[str]:
    return {c.subject for rows in engine.snapshot().checkins.values() for c in rows}


def test_polls_continue_when_the_wall_clock_steps_back_and_forward(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    engine = make_engine(tmp_path, SourceSettings("maildir", "mail", 1.0, {"path": box._path}))
    clock = SteppedClock()
    engine.clock = clock
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(engine, 8), kwargs={"stop": stop})
    loop.start()
    try:
        deliver(box, 1)
        assert wait_until(lambda: "update 1" in subjects(engine), 30)
        for n, step in ((2, timedelta(hours=-2)), (3, timedelta(hours=4))):
            clock.offset += step
            deliver(box, n)
            assert wait_until(lambda n=n: f"update {n}" in subjects(engine), 30), (
                f"no poll after the clock stepped {step}"
            )
            health = {h.name: h for h in engine.health()}["mail"]
            assert health.next_poll is not None  # shown on the stepped clock
            assert abs(health.next_poll - clock()) < timedelta(minutes=5)
    finally:
        stop.set()
        loop.join(30)
        engine.close()
    assert not loop.is_alive()
