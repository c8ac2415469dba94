"""The owner sees automatic reminders: who is next (header) and what went (detail)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from tui_fakes import NOW, FakeEngine, screen_text

from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import Reminder
from farwatch.tui.app import build_app
from farwatch.tui.messages import DataReady

pytestmark = pytest.mark.anyio


async def test_the_header_names_the_next_reminder_and_the_detail_shows_automatic_ones(
    tmp_path: Path,
) -> None:
    engine = FakeEngine(tmp_path)
    first = engine.current[0]
    intent = audit.append(
        engine.settings.audit_file,
        AuditEntry(
            "auto_ping",
            worker=first.id,
            outcome="intent",
            detail=f"overdue:{first.id}:x automatic: check-in overdue by email",
            time=NOW - timedelta(minutes=5),
        ),
    )
    audit.append(
        engine.settings.audit_file,
        AuditEntry("auto_ping", worker=first.id, outcome="sent", intent_id=intent.id, time=NOW),
    )
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(160, 40)) as pilot:
        soon = Reminder(first.id, "shift_start", NOW + timedelta(minutes=45), "k")
        now = engine.clock()
        app.post_message(
            DataReady(
                engine.statuses(now),
                engine.health(),
                now,
                audit=audit.read_entries(engine.settings.audit_file),
                reminders=[soon],
            )
        )
        await pilot.pause()
        assert f"next reminder: {first.name} at Wed 16:15 (start of shift)" in screen_text(app)
        app.open_detail(first.id)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "auto_ping sent" in text or "auto_ping intent" in text
