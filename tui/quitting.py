"""Quitting always works: on a signal, when the terminal vanishes, whatever a fetch does.

SIGTERM and SIGHUP (a dropped SSH session) quit the dashboard like ``q``. A
terminal that goes away without a signal (tmux killed with the signal ignored,
a pty whose other end closed) shows up as a hang-up on standard input, which
a small daemon thread watches with ``poll()`` — it reads nothing, so it never
competes with the app for keys — and then quits too: Textual's input thread
would otherwise spin on the end of input for as long as the process lived.
The watch sleeps until something happens (a hang-up, or the guard's own pipe
when the app has returned): a dashboard left open all day never wakes it.

Once asked to quit, the app has ``QUIT_GRACE`` seconds to come down on its
own; if it has not (a worker wedged in a dead connection, a write to a gone
terminal that never returns), the process ends at once. The cache's writer
lock is an ``flock``, which the kernel releases with the process.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

QUIT_GRACE = 1.5
"""Seconds the app has to exit after a quit request before the process is ended."""
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
HANGUP_EXIT = 128 + int(getattr(signal, "SIGHUP", 1))


def quit_signals() -> list[signal.Signals]:
    return [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]


class QuitGuard:
    """Installs the signal handlers and the hang-up watch around ``app.run()``."""

    def __init__(self, app: App[Any], *, input_fd: int | None = None) -> None:
        self.app = app
        self.input_fd = input_fd if input_fd is not None else _stdin_fd()
        self._previous: dict[signal.Signals, Any] = {}
        self._stop = threading.Event()
        self._fallback: threading.Timer | None = None
        self._lock = threading.Lock()
        self._wake: int | None = None
        """Closed on exit, to end the watch without a timeout to wake it meanwhile."""

    def __enter__(self) -> QuitGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in quit_signals():
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._on_signal)
        if self.input_fd is not None:
            wake_read, self._wake = os.pipe()
            threading.Thread(
                target=self._watch_input, args=(wake_read,), name="farwatch-hangup", daemon=True
            ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        """The app has returned: clean-up after it must not be cut short."""
        self._stop.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.close(self._wake)  # the watch sees its pipe end and stops
            self._wake = None
        with self._lock:
            if self._fallback is not None:
                self._fallback.cancel()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._arm(128 + signum)
        self.app.exit()

    def _watch_input(self, wake: int) -> None:
        poller = select.poll()
        assert self.input_fd is not None
        poller.register(self.input_fd, 0)  # only hang-ups and errors, never data
        poller.register(wake, 0)  # its writer end closing: the guard is done
        try:
            while not self._stop.is_set():
                try:
                    events = poller.poll()
                except OSError:
                    events = [(self.input_fd, select.POLLERR)]
                if any(fd == self.input_fd and mask & _GONE for fd, mask in events):
                    self._terminal_gone()
                    return
                if any(fd == wake for fd, _mask in events):
                    return
        finally:
            os.close(wake)

    def _terminal_gone(self) -> None:
        if self._stop.is_set():
            return
        self._arm(HANGUP_EXIT)
        with contextlib.suppress(Exception):  # the app is already shutting down
            self.app.call_from_thread(self.app.exit)

    def _arm(self, code: int) -> None:
        """End the process if the app has not come down within ``QUIT_GRACE``."""
        with self._lock:
            if self._fallback is not None or self._stop.is_set():
                return
            timer = threading.Timer(QUIT_GRACE, _end_now, args=(code,))
            timer.daemon = True
            self._fallback = timer
            timer.start()


def _end_now(code: int) -> None:
    """The last resort: nothing else runs, no thread is waited for."""
    os._exit(code)


def require_terminal() -> None:
    """Refuse to start on an input that is not a terminal: at its end (``/dev/null``,
    a closed pipe) the app's input thread would spin, and no key could quit it.

    Raises:
        SystemExit: with the reason, which Python prints; the caller's clean-up runs.
    """
    if _stdin_fd() is None:
        raise SystemExit(
            "farwatch: the dashboard needs a terminal to read keys from, and standard "
            "input is not one; `farwatch status` prints the same view for scripts"
        )


def _stdin_fd() -> int | None:
    try:
        fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else None
    except (OSError, ValueError):
        return None
    return fd if fd is not None and os.isatty(fd) else None
