"""A modal dialog that owns its lifetime: it closes itself, once, and nothing else.

Dialogs that run work in a thread (send a ping, pause a worker, and the pay
and approval screens to come) finish while the owner may have opened the
command palette or another screen on top. ``Screen.dismiss`` pops whichever
screen is on top, and a second ``dismiss`` raises; so every such dialog
resolves through ``finish``:

- the first ``finish`` wins, any later one (Escape after a background
  completion, a late thread) does nothing;
- if the dialog is on top it closes now; if another screen is above it, the
  result waits and the dialog closes itself the moment it is on top again,
  never closing the screen above it;
- a dialog no longer mounted (the app is quitting) just records the result.

While a dialog is open, keys reach only the dialog: the app-wide keys that
open screens or quit are held back (``HELD_APP_ACTIONS``), so a letter meant
for a text field never does something elsewhere.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, Generic, TypeVar

from textual import events
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")

HELD_APP_ACTIONS = frozenset(
    {"help", "sources", "audit_log", "poll_now", "next_theme", "quit", "command_palette"}
)
"""App actions a dialog holds back while it is the active screen."""


class OwnedDialog(ModalScreen[ResultT], Generic[ResultT]):
    """Base for modals that act; subclasses call ``finish(result)`` to close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resolved = False
        self.result: ResultT | None = None
        self._waiting = False

    @property
    def busy(self) -> bool:
        """Work is running in the background (subclasses say when)."""
        return False

    def finish(self, result: ResultT | None) -> None:
        """Resolve this dialog with ``result``: close it (only it), at most once."""
        if self.resolved:
            return
        self.resolved = True
        self.result = result
        if not self.is_attached:
            return
        if self.app.screen is self:
            self.dismiss(result)
        else:
            self._waiting = True

    def on_screen_resume(self, _event: events.ScreenResume) -> None:
        if self._waiting:
            self._waiting = False
            self.dismiss(self.result)

    def deliver(self, callback: Any, *args: Any) -> None:
        """Run ``callback`` on the UI thread if this dialog is still mounted and open.

        For thread workers: a result for a dialog that was already resolved
        or removed is dropped instead of touching widgets that are gone.
        """

        def guarded() -> None:
            if self.is_attached and not self.resolved:
                callback(*args)

        with suppress(RuntimeError):  # the app has already stopped: nobody to tell
            self.app.call_from_thread(guarded)
