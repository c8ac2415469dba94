"""Pilot: the owner types into dialogs and opens screens over them, and nothing misfires.

Stories from issues 13 and 18: a reason typed into the pause dialog never
confirms or cancels it; a dialog shows its keys and swallows the app's keys;
a send that finishes while another screen is on top closes its own dialog,
once; force is only an answer to a refusal that was shown; the bulk ping acts
on what the filter shows.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from farwatch.actions import channels as channels_mod
from farwatch.state import audit
from farwatch.tui.screens.compose import ComposeScreen
from farwatch.tui.screens.confirm import ConfirmScreen
from farwatch.tui.screens.help import HelpScreen
from farwatch.tui.screens.main import MainScreen
from tests.servers.nudge_kit import SmtpServer

from .test_compose_screen import dialog_text, make_app, select, settle, toasts
from .test_confirm_screen import confirm_text
from .test_confirm_screen import make_app as make_pause_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def actions_logged(path: Path, action: str) -> list[audit.AuditEntry]:
    return [e for e in audit.read_entries(path) if e.action == action]


async def test_typing_a_reason_never_confirms_the_pause(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, engine, tracker = make_pause_app(tmp_path, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("x")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        reason = screen.query_one("#confirm-reason", Input)
        assert app.focused is reason  # x puts the cursor in the reason field
        shown = confirm_text(app)
        assert "ctrl+s pause" in shown and "esc cancel" in shown  # the keys are on screen
        await pilot.press(*"holiday yes, testing pause now")
        await settle(app, pilot)
        assert app.screen is screen  # y did not confirm, n did not cancel
        assert reason.value == "holiday yes, testing pause now"
        assert tracker.calls == [] and not engine.settings.audit_file.exists()
        await pilot.press("enter")  # Enter leaves the field for the button; still asking
        await settle(app, pilot)
        assert app.screen is screen and tracker.calls == []
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert not app.screen.table.grouped  # no letter reached the table
    [paused] = actions_logged(engine.settings.audit_file, "pause")
    assert "holiday yes, testing pause now" in paused.message + paused.detail
    assert "holiday yes" in smtp_server.mails[0].body


async def test_keys_typed_in_a_dialog_stay_in_the_dialog(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, engine = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        await pilot.press("tab", "tab", "tab")  # off the text fields, onto nothing that types
        await pilot.press(*"q?slutgxp", "ctrl+p")
        await pilot.pause()
        assert app.is_running and app.screen is screen  # no quit, no help, no palette
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert smtp_server.mails == [] and not engine.settings.audit_file.exists()


async def test_filter_text_never_opens_a_dialog(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, engine = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("slash", *"pxPrg")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one("#filter", Input).value == "pxPrg"
    assert not engine.settings.audit_file.exists()


class Gate:
    """Holds every channel send until the test opens it (a slow mail server)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        real = channels_mod.send

        def held(*args: Any, **kwargs: Any) -> Any:
            self.open.wait(10)
            return real(*args, **kwargs)

        monkeypatch.setattr(channels_mod, "send", held)


async def test_a_ping_finishing_under_another_screen_closes_only_its_dialog(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p", "ctrl+s")
        compose = app.screen
        assert isinstance(compose, ComposeScreen) and compose.busy
        help_screen = HelpScreen()
        app.push_screen(help_screen)  # something opens over the dialog mid-send
        await pilot.pause()
        gate.open.set()
        await settle(app, pilot)
        assert app.screen is help_screen  # the finished send did not close help
        assert compose in app.screen_stack and compose.resolved
        assert any("pinged Ana Reyes" in t for t in toasts(app))
        compose.finish(None)  # a second resolution is a no-op
        await pilot.press("escape")  # help closes; the dialog then closes itself
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
    assert len(smtp_server.mails) == 1


async def test_a_pause_finishing_under_another_screen_closes_only_its_dialog(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app, engine, _ = make_pause_app(tmp_path, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        select(app, "ana")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and confirm.busy
        help_screen = HelpScreen()
        app.push_screen(help_screen)
        await pilot.pause()
        gate.open.set()
        await settle(app, pilot)
        assert app.screen is help_screen and confirm.resolved
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
    assert "ana" in audit.paused_workers(engine.settings.audit_file)


async def test_send_anyway_on_a_fresh_dialog_does_nothing(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p", "ctrl+f")  # force with no refusal shown: not a send key
        await settle(app, pilot)
        assert smtp_server.mails == []
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("p", "ctrl+f")  # a second dialog, inside the cooldown
        await settle(app, pilot)
        assert len(smtp_server.mails) == 1
        await pilot.press("ctrl+s")  # now the refusal is shown ...
        await settle(app, pilot)
        assert "already pinged" in dialog_text(app) and "Send anyway?" in dialog_text(app)
        assert len(smtp_server.mails) == 1
        await pilot.press("ctrl+f")  # ... and ctrl+f answers it
        await settle(app, pilot)
    assert len(smtp_server.mails) == 2


async def test_bulk_ping_pings_only_whom_the_filter_shows(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("slash", *"nobody-matches", "enter", "P")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("Nobody stale matching the filter" in t for t in toasts(app))
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).value = "Cy"
        await pilot.press("enter", "P")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert [m.recipients[0] for m in smtp_server.mails] == ["cy@example.com"]


async def test_compose_body_takes_every_letter(tmp_path: Path, smtp_server: SmtpServer) -> None:
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p")
        body = app.screen.query_one("#compose-body", TextArea)
        await pilot.press("ctrl+a", "ctrl+k", *"quit? yes no x p")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert body.text.startswith("quit? yes no x p")
    assert smtp_server.mails == []


async def test_quit_from_the_palette_asks_while_a_ping_is_sending(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app, _ = make_app(tmp_path, smtp_server.url())
    async with app.run_test(size=(100, 32)) as pilot:
        select(app, "ana")
        await pilot.press("p", "ctrl+s")
        assert app.action_in_flight()
        app.quit_from_palette()
        await pilot.pause()
        assert app.is_running
        assert any("Choose Quit again to quit anyway" in t for t in toasts(app))
        gate.open.set()
        await settle(app, pilot)
        app.quit_from_palette()  # the second choice quits
        await pilot.pause()
        assert not app.is_running
