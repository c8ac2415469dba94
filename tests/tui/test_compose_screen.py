"""Pilot: ``p`` on a stale worker, edit, ``ctrl+s``, and an email arrives."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from farwatch.state import audit
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.compose import ComposeScreen
from farwatch.tui.widgets.worker_table import WorkerTable
from tests.servers.nudge_kit import (
    FakeEngine,
    SmtpServer,
    Webhook,
    free_port,
    make_settings,
    status,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def team(im: str = "") -> list[Any]:
    return [
        status(id="ana", name="Ana Reyes", email="ana@example.com", checkin_level="alert", im=im),
        status(
            id="ben",
            name="Ben Okafor",
            email="ben@example.com",
            checkin_level="ok",
            checkin_age=600.0,
            checkin_work_age=600.0,
        ),
        status(
            id="cy",
            name="Cy Tan",
            email="cy@example.com",
            checkin_level="warn",
            checkin_age=3 * 3600.0,
            checkin_work_age=3 * 3600.0,
        ),
    ]


def make_app(
    tmp_path: Path, email_url: str, im: str = "", channels: Any = None
) -> tuple[FarwatchApp, FakeEngine]:
    engine = FakeEngine(make_settings(tmp_path, email=email_url, im=channels or {}), team(im))
    return build_app(engine, live=False, display_zone=UTC), engine


def toasts(app: FarwatchApp) -> list[str]:
    return [n.message for n in app._notifications]


def screen_text(app: FarwatchApp) -> str:
    """What the terminal shows now, as plain lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def dialog_text(app: FarwatchApp) -> str:
    """Only what the dialog box shows (the dashboard stays visible around it)."""
    region = app.screen.query_one("#compose-box").region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


def select(app: FarwatchApp, worker_id: str) -> None:
    table = app.screen.query_one(WorkerTable)
    table.move_cursor(row=table.get_row_index(worker_id))


async def settle(app: FarwatchApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_p_opens_compose_edit_and_send_shows_a_toast(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.query_one("#compose-subject", Input).value == "Quick check-in, Ana?"
        body = screen.query_one("#compose-body", TextArea)
        assert "Inbox triage" in body.text
        assert app.focused is body
        await pilot.press("ctrl+a", "ctrl+k")  # clear the first line and type our own
        await pilot.press(*"Any news?")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ComposeScreen)
        [mail] = smtp_server.mails
        assert mail.recipients == ["ana@example.com"]
        assert mail.subject == "Quick check-in, Ana?"
        assert mail.body.startswith("Any news?")
        assert any("pinged Ana Reyes" in t for t in toasts(app))


async def test_escape_cancels_and_nothing_is_sent(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, engine = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
    assert smtp_server.mails == []
    assert not engine.settings.audit_file.exists()


async def test_switching_template_refills_the_message(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        from textual.widgets import Select

        screen.query_one("#compose-template", Select).value = "hello"
        await pilot.pause()
        assert screen.query_one("#compose-subject", Input).value == "Hello from the office, Ana"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert smtp_server.mails[0].subject == "Hello from the office, Ana"


async def test_failure_stays_open_with_the_error_and_retry_sends_only_what_failed(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    webhook.status = 500
    app, engine = make_app(
        tmp_path, smtp_server.url(), im=webhook.cell(), channels=webhook.channels()
    )
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)  # still open
        status_text = dialog_text(app)
        assert "500" in status_text and "retries" in status_text
        assert any("failed" in t for t in toasts(app))
        assert len(smtp_server.mails) == 1 and len(webhook.requests) == 1
        webhook.status = 200
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ComposeScreen)
    assert len(smtp_server.mails) == 1  # the email was not sent twice
    assert len(webhook.requests) == 2
    outcomes = [(e.channel, e.outcome) for e in audit.read_entries(engine.settings.audit_file)]
    assert outcomes[0] == ("im", "sent")


async def test_smtp_down_keeps_the_ui_alive(tmp_path: Path) -> None:
    down = f"mailto://owner@127.0.0.1:{free_port()}?from=owner@example.com&mode=insecure"
    app, _ = make_app(tmp_path, down)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert "127.0.0.1" in dialog_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(WorkerTable)  # back on the table, still running


async def test_cooldown_refusal_then_send_anyway(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        for _ in range(2):  # a double ping: the second is refused
            await pilot.press("p", "ctrl+s")
            await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert "cooldown" in dialog_text(app)
        assert len(smtp_server.mails) == 1
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert not isinstance(app.screen, ComposeScreen)
    assert len(smtp_server.mails) == 2


async def test_bulk_ping_lists_who_gets_what_and_sends_on_confirmation(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("P")
        screen = app.screen
        assert isinstance(screen, ComposeScreen) and screen.bulk
        who = dialog_text(app)
        assert "Ana Reyes" in who and "Cy Tan" in who and "Ben" not in who
        assert "overdue" in who and "email ana@example.com" in who
        assert smtp_server.mails == []  # nothing before the confirmation
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ComposeScreen)
        assert any("Pinged 2 workers" in t for t in toasts(app))
    assert sorted(m.recipients[0] for m in smtp_server.mails) == [
        "ana@example.com",
        "cy@example.com",
    ]


async def test_hostile_names_and_tasks_are_shown_literally(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    evil = status(
        id="ana",
        name="[@click=app.quit]Ana[/] \x1b]0;pwned\x07Reyes",
        task="[bold]Inbox[/bold] \x1b[31mtriage",
        checkin_level="alert",
    )
    engine = FakeEngine(make_settings(tmp_path, email=smtp_server.url()), [evil])
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, ComposeScreen)
        shown = dialog_text(app)
        assert "Ping [@click=app.quit]Ana[/] Reyes" in shown
        body = app.screen.query_one("#compose-body", TextArea).text
        assert "[bold]Inbox[/bold] triage" in body and "\x1b" not in body
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.is_running
    assert "\x1b" not in smtp_server.mails[0].body
