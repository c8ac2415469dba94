"""Pause stops the worker's Harvest timer (Harvest's documented API, faked with respx)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from farwatch.actions.pause import pause
from farwatch.sources.harvest import HarvestSource
from farwatch.sources.model import RosterRow
from farwatch.state import audit
from farwatch.state.snapshot import CacheSnapshot
from tests.servers.nudge_kit import FakeEngine, SmtpServer, make_settings, running_entry, status

BASE = "https://api.harvestapp.com/v2"
USERS = {
    "users": [{"id": 1795925, "email": "ana@example.com", "first_name": "Ana"}],
    "links": {"next": None},
}
RUNNING = {
    "time_entries": [
        {
            "id": 662202797,
            "spent_date": "2026-03-10",
            "user": {"id": 1795925, "name": "Ana Reyes"},
            "project": {"id": 14808188, "name": "Client A"},
            "task": {"id": 8083366, "name": "Inbox triage"},
            "notes": "Inbox triage",
            "hours": 1.27,
            "hours_without_timer": 0.0,
            "is_running": True,
            "timer_started_at": "2026-03-10T12:45:24Z",
        }
    ],
    "links": {"next": None},
}


@pytest.fixture
def engine(tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    monkeypatch.setenv("HARVEST_TOKEN", "hv-secret-789")
    engine = FakeEngine(make_settings(tmp_path, email=smtp_server.url()), [status()])
    engine.sources["harvest"] = HarvestSource(
        "harvest", {"account": "123456", "api_key_env": "HARVEST_TOKEN"}
    )
    engine.snap = CacheSnapshot(
        roster={"sheet": [RosterRow(worker_id="ana", name="Ana Reyes", email="ana@example.com")]},
        entries={"harvest": [running_entry("ana@example.com")]},
    )
    return engine


def test_pause_patches_the_running_entry_stop_endpoint(engine: FakeEngine) -> None:
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{BASE}/time_entries").mock(return_value=httpx.Response(200, json=RUNNING))
        stopped = {**RUNNING["time_entries"][0], "is_running": False}  # type: ignore[index]
        stop = respx.patch(f"{BASE}/time_entries/662202797/stop").mock(
            return_value=httpx.Response(200, json=stopped)
        )
        result = pause(engine, "ana", "Cap reached.")
    assert stop.called
    assert stop.calls[0].request.headers["Harvest-Account-Id"] == "123456"
    assert result.ok, result.describe()
    assert [(t.source, t.outcome) for t in result.timers] == [("harvest", "stopped")]
    entries = audit.read_entries(engine.settings.audit_file)
    stop_entry = next(e for e in entries if e.action == "stop_timer" and e.outcome == "stopped")
    assert stop_entry.channel == "harvest"
    assert "hv-secret" not in engine.settings.audit_file.read_text()


def test_pause_when_harvest_has_nothing_running(engine: FakeEngine) -> None:
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{BASE}/time_entries").mock(
            return_value=httpx.Response(200, json={"time_entries": [], "links": {"next": None}})
        )
        stop = respx.patch(url__startswith=f"{BASE}/time_entries/").mock(
            return_value=httpx.Response(500)
        )
        result = pause(engine, "ana")
    assert not stop.called
    assert result.ok
    assert [t.outcome for t in result.timers] == ["not_running"]
    assert "ana" in audit.paused_workers(engine.settings.audit_file)


def test_pause_when_harvest_refuses_is_reported(engine: FakeEngine) -> None:
    with respx.mock:
        respx.get(f"{BASE}/users").mock(return_value=httpx.Response(200, json=USERS))
        respx.get(f"{BASE}/time_entries").mock(return_value=httpx.Response(200, json=RUNNING))
        respx.patch(f"{BASE}/time_entries/662202797/stop").mock(
            return_value=httpx.Response(403, json={"error": "forbidden"})
        )
        result = pause(engine, "ana")
    assert not result.ok
    assert [t.outcome for t in result.timers] == ["failed"]
    assert "could not stop the timer" in result.describe()
    assert "ana" in audit.paused_workers(engine.settings.audit_file)
