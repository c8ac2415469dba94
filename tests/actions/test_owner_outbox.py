"""Messages to the owner wait out their quiet hours, then go once.

The owner is in New York (quiet 22:00-07:00), the digest is at 06:30. The
clock walks two days minute by minute; an auto-pause notice arrives at
23:00, in the middle of the night.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from farwatch.actions.owner_outbox import (
    deliver_owner_messages,
    queue_digest_if_due,
    queue_owner_alert,
)
from farwatch.state import audit
from farwatch.state.settings import DigestSettings, OwnerSettings
from tests.servers.nudge_kit import FakeEngine, SmtpServer, Webhook, make_settings, status

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Tue 05:00 in New York (EDT)


def owner_engine(tmp_path: Path, smtp: SmtpServer, hook: Webhook) -> FakeEngine:
    settings = replace(
        make_settings(tmp_path, email=smtp.url(), im=hook.channels()),
        owner=OwnerSettings(timezone="America/New_York", quiet_hours="22:00-07:00"),
        digest=DigestSettings(
            at="06:30",
            timezone="America/New_York",
            channels=("email:owner@example.com", hook.cell("/owner")),
        ),
    )
    workers = [
        status(id="ana", name="Ana Reyes", checkin_level="alert"),
        status(id="ben", name="Ben Ode", checkin_level="ok", burn_level="warn", burn=0.9),
    ]
    return FakeEngine(settings, workers, now=START)


def test_owner_messages_wait_for_the_end_of_quiet_hours_and_go_once(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    engine = owner_engine(tmp_path, smtp_server, webhook)
    delivered: list[str] = []
    at = START
    while at < START + timedelta(days=2):
        engine.now = at
        if at == datetime(2026, 3, 11, 3, 0, tzinfo=UTC):  # 23:00 in New York
            queue_owner_alert(engine, "auto_pause:ben:x", "farwatch paused Ben Ode", "cap reached")
        if at == datetime(2026, 3, 10, 20, 0, tzinfo=UTC):  # Ana checks in; Ben is paused
            engine.workers = [
                replace(engine.workers[0], checkin_level="ok"),
                replace(engine.workers[1], paused=True),
            ]
        queue_digest_if_due(engine)
        for e in deliver_owner_messages(engine):
            if e.outcome == "sent" and e.channel == "email":
                delivered.append(f"{at:%a %H:%M}Z")
        at += timedelta(minutes=1)

    # 06:30 falls in quiet hours: both digests go at 07:00 EDT (11:00Z); the
    # night's auto-pause notice goes with the second one, not at 23:00.
    assert delivered == ["Tue 11:00Z", "Wed 11:00Z", "Wed 11:00Z"]
    subjects = [m.subject for m in smtp_server.mails]
    assert subjects == [
        "farwatch digest: 1 overdue, 0 over cap",
        "farwatch paused Ben Ode",  # queued first, delivered first
        "farwatch digest: 0 overdue, 0 over cap",
    ]
    assert len(webhook.requests) == 3
    second = smtp_server.mails[2].body
    assert "+ paused: Ben Ode" in second
    assert "- no longer check-in overdue: Ana Reyes" in second
    assert "- no longer near the cap: Ben Ode" not in second  # still near, and now paused


def late_digest_engine(tmp_path: Path, smtp: SmtpServer, hook: Webhook) -> FakeEngine:
    """The digest at 23:30 in New York, inside the owner's 22:00-07:00 quiet hours."""
    engine = owner_engine(tmp_path, smtp, hook)
    engine.settings = replace(engine.settings, digest=replace(engine.settings.digest, at="23:30"))
    return engine


def digests_delivered(engine: FakeEngine, looks: list[datetime]) -> list[str]:
    """Look (queue, deliver) at each instant; when each digest went by email."""
    delivered = []
    for at in looks:
        engine.now = at
        queue_digest_if_due(engine)
        for e in deliver_owner_messages(engine):
            if e.outcome == "sent" and e.channel == "email":
                delivered.append(f"{at:%a %H:%M}Z")
    return delivered


def queued_keys(engine: FakeEngine) -> list[str]:
    entries = reversed(audit.read_entries(engine.settings.audit_file))
    return [e.detail.split(" ", 1)[0] for e in entries if e.outcome == "queued"]


def test_a_late_evening_digest_goes_once_at_the_end_of_quiet_hours(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    """Looked at every minute from Tue 16:00 to Thu 08:00 New York time (EDT, UTC-4):
    Tuesday's digest is queued at 23:30 and goes at Wednesday 07:00 (11:00Z), once;
    Wednesday's likewise on Thursday; nothing goes in quiet hours or twice."""
    engine = late_digest_engine(tmp_path, smtp_server, webhook)
    first = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # Tue 16:00 EDT
    looks = [first + timedelta(minutes=m) for m in range(40 * 60)]
    assert digests_delivered(engine, looks) == ["Wed 11:00Z", "Thu 11:00Z"]
    assert queued_keys(engine) == ["digest:2026-03-10", "digest:2026-03-11"]
    assert len(smtp_server.mails) == 2 and len(webhook.requests) == 2


def test_a_late_evening_digest_nobody_looked_at_before_midnight_still_goes_once(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    """An hourly cron (poll --once at :00) never runs at 23:30: Tuesday's digest is
    queued at Wednesday 00:00 and goes at 07:00, once; not skipped for the new day."""
    engine = late_digest_engine(tmp_path, smtp_server, webhook)
    first = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # Tue 16:00 EDT
    looks = [first + timedelta(hours=h) for h in range(17)]  # to Wed 08:00 EDT
    assert digests_delivered(engine, looks) == ["Wed 11:00Z"]
    assert queued_keys(engine) == ["digest:2026-03-10"]


def test_a_digest_set_up_in_the_morning_does_not_send_yesterdays(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    """Set up and first looked at on Wed 12:00 EDT, 12.5 h after Tuesday's 23:30:
    Tuesday's digest is not dug up; the first one is Wednesday's, at 23:30."""
    engine = late_digest_engine(tmp_path, smtp_server, webhook)
    assert digests_delivered(engine, [datetime(2026, 3, 11, 16, 0, tzinfo=UTC)]) == []
    assert queued_keys(engine) == []
