"""A seeded keyboard monkey: random keys, text and resizes against a dashboard whose
channels answer late, so sends finish while other screens are open.

After each run: no exception, Escape leads back to the table, every ping,
pause and resume in the audit log follows a confirmation in its dialog, and
no worker got a second ping within the cooldown unless a refusal was shown
(and answered) in between. A failing seed prints its key sequence.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from farwatch.actions import channels as channels_mod
from farwatch.sources.model import RosterRow
from farwatch.state import audit
from farwatch.state.snapshot import CacheSnapshot
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.compose import ComposeScreen
from farwatch.tui.screens.confirm import ConfirmScreen
from farwatch.tui.screens.main import MainScreen
from tests.servers.nudge_kit import (
    FakeEngine,
    SmtpServer,
    StopSource,
    make_settings,
    running_entry,
)

from .test_compose_screen import team

pytestmark = pytest.mark.anyio

SEEDS = [1, 2, 3]
STEPS = 60
KEYS = [
    *"ppPxxrrgo/ynstlu?qf",
    "enter", "escape", "escape", "tab", "shift+tab", "up", "down", "left", "right",
    "ctrl+s", "ctrl+s", "ctrl+s", "ctrl+f", "ctrl+f", "ctrl+p", "ctrl+k", "backspace", "space",
]  # fmt: skip
NEVER_OUTSIDE_TEXT = {"q"}
"""Keys that would end the run (quit) unless they are typed into a text field."""
WORDS = ["holiday", "yes", "no", "testing pause", "quit", "ping", "x"]
SIZES = [(120, 35), (80, 24), (60, 15), (40, 12)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """What the dialogs were told to do, in order: the owner's confirmations."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
        self.confirmed: list[tuple[str, str]] = []
        self.quits = 0
        late = random.Random(seed * 7919)
        real_send = channels_mod.send

        def slow_send(*args: Any, **kwargs: Any) -> Any:
            time.sleep(late.uniform(0.02, 0.15))  # a channel that answers after a while
            return real_send(*args, **kwargs)

        real_start = ComposeScreen._start
        real_act = ConfirmScreen._act

        def start(screen: ComposeScreen, attempts: list[Any]) -> None:
            self.confirmed.extend(("ping", plan.worker.id) for plan, _ in attempts)
            real_start(screen, attempts)

        def act(screen: ConfirmScreen, reason: str) -> Any:
            self.confirmed.append((screen.action, screen.status.id))
            return real_act(screen, reason)

        def quit_from_palette(_app: FarwatchApp) -> None:
            self.quits += 1  # the palette's Quit is tested on its own; the run goes on

        monkeypatch.setattr(channels_mod, "send", slow_send)
        monkeypatch.setattr(ComposeScreen, "_start", start)
        monkeypatch.setattr(ConfirmScreen, "_act", act)
        monkeypatch.setattr(FarwatchApp, "quit_from_palette", quit_from_palette)


def make_app(tmp_path: Path, smtp: SmtpServer) -> tuple[FarwatchApp, FakeEngine]:
    engine = FakeEngine(make_settings(tmp_path, email=smtp.url()), team())
    engine.sources["clockify"] = StopSource("clockify")
    engine.snap = CacheSnapshot(
        roster={"sheet": [RosterRow(worker_id="ana", name="Ana Reyes", tracker_id="u-ana")]},
        entries={"clockify": [running_entry("u-ana")]},
    )
    return build_app(engine, live=False), engine


def typing(app: FarwatchApp) -> bool:
    return isinstance(app.focused, Input | TextArea)


async def mash(app: FarwatchApp, pilot: Any, seed: int, log: list[str]) -> None:
    rng = random.Random(seed)
    for _ in range(STEPS):
        roll = rng.random()
        if roll < 0.05:
            width, height = rng.choice(SIZES)
            log.append(f"resize {width}x{height}")
            await pilot.resize_terminal(width, height)
        elif roll < 0.15 and typing(app):
            word = rng.choice(WORDS)
            log.append(f"type {word!r}")
            await pilot.press(*[" " if c == " " else c for c in word])
        else:
            key = rng.choice(KEYS)
            if key in NEVER_OUTSIDE_TEXT and not typing(app):
                continue
            log.append(key)
            await pilot.press(key)
        assert app.is_running, "the app closed"


async def go_home(app: FarwatchApp, pilot: Any) -> None:
    for _ in range(12):
        if isinstance(app.screen, MainScreen):
            return
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
    raise AssertionError(f"Escape never reached the table; stuck on {app.screen!r}")


def check_audit(path: Path, recorder: Recorder) -> None:
    entries = audit.read_entries(path)
    for action in ("pause", "resume"):
        for worker in {e.worker for e in entries if e.action == action}:
            done = [e for e in entries if e.action == action and e.worker == worker]
            asked = recorder.confirmed.count((action, worker))
            assert len(done) <= asked, f"{action} {worker}: {len(done)} logged, {asked} confirmed"
    for worker in {e.worker for e in entries if e.action == "ping"}:
        pings = [e for e in entries if e.action == "ping" and e.worker == worker]
        intents = [e for e in pings if e.outcome == "intent"]
        asked = recorder.confirmed.count(("ping", worker))
        assert len(intents) <= asked, f"ping {worker}: {len(intents)} sends, {asked} confirmed"
        # The clock is frozen, so every ping is inside the cooldown of the one before:
        # a second send needs a refusal shown (and answered) after the first.
        seen_send = False
        for entry in pings:
            if entry.outcome == "intent":
                assert not seen_send, f"{worker} pinged twice within the cooldown"
                seen_send = True
            elif entry.outcome == "refused":
                seen_send = False


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_keyboard_mashing_owner_breaks_nothing(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.chdir(tmp_path)  # the palette's Screenshot writes here
    recorder = Recorder(monkeypatch, seed)
    app, engine = make_app(tmp_path, smtp_server)
    log: list[str] = []
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await mash(app, pilot, seed, log)
            await go_home(app, pilot)
            await app.workers.wait_for_complete()
        check_audit(engine.settings.audit_file, recorder)
    except BaseException as exc:
        raise AssertionError(f"seed {seed} failed after keys: {' '.join(log)}") from exc
