"""A terminal that goes away without a signal still ends the dashboard.

A real pseudo-terminal: the guard watches its slave end; closing the master
(what an SSH server or tmux does when the session is gone) must make it ask
the app to exit — and a guard whose app has already returned must not.
"""

from __future__ import annotations

import os
import pty
import threading
from typing import Any

from farwatch.tui.quitting import QuitGuard


class FakeApp:
    """Records the exit request; ``call_from_thread`` runs the callback at once."""

    def __init__(self) -> None:
        self.exited = threading.Event()

    def exit(self) -> None:
        self.exited.set()

    def call_from_thread(self, callback: Any) -> None:
        callback()


def test_a_hung_up_terminal_asks_the_app_to_exit() -> None:
    master, slave = pty.openpty()
    app = FakeApp()
    try:
        with QuitGuard(app, input_fd=slave) as guard:  # type: ignore[arg-type]
            assert not app.exited.wait(0.3)  # a live terminal: nothing happens
            os.close(master)
            assert app.exited.wait(20), "the vanished terminal went unnoticed"
            assert guard._fallback is not None  # the process ends even if the app hangs
    finally:
        os.close(slave)


def test_typing_on_a_live_terminal_is_not_a_hang_up() -> None:
    master, slave = pty.openpty()
    app = FakeApp()
    try:
        with QuitGuard(app, input_fd=slave):  # type: ignore[arg-type]
            os.write(master, b"jjj\n")
            assert not app.exited.wait(0.5)
            assert os.read(slave, 16) == b"jjj\n"  # the guard reads nothing itself
    finally:
        os.close(master)
        os.close(slave)


def test_the_watch_ends_with_its_guard() -> None:
    """The watch has no timeout to notice the end by: the guard closing its pipe ends it."""
    master, slave = pty.openpty()
    app = FakeApp()
    try:
        with QuitGuard(app, input_fd=slave):  # type: ignore[arg-type]
            (watch,) = [t for t in threading.enumerate() if t.name == "farwatch-hangup"]
        watch.join(20)
        assert not watch.is_alive(), "the watch outlived its guard"
        assert not app.exited.is_set()
    finally:
        os.close(master)
        os.close(slave)
