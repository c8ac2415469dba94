"""Poll a source the moment it says something changed (IMAP IDLE).

A source that can wait for news declares ``can_wait_for_change`` and offers
``wait_for_change(timeout) -> bool``; it is watched when ``wants_watching()``
(the ``imap`` source with ``idle = true``). One daemon thread
per such source blocks in that call, on a connection of its own, and calls
``on_change(name)``; the caller (the dashboard, ``farwatch poll``) then polls
that source now. The regular schedule keeps running, so a server without IDLE,
or a watch that fails, only costs the seconds-fast wake-up, never the data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from farwatch.sources.base import Source

log = logging.getLogger(__name__)

WAIT = 300.0
"""Seconds per IDLE round (servers drop IDLE after ~30 min; renew well before)."""
RETRY = 60.0
"""Seconds to wait after a failed watch before trying again."""


def watchable(sources: Mapping[str, Source]) -> dict[str, Source]:
    """The sources that asked to be watched (``idle = true``) and can be."""
    return {
        name: source
        for name, source in sources.items()
        if source.can_wait_for_change and source.wants_watching()
    }


class ChangeWatcher:
    """One thread per watchable source; ``on_change`` runs in that thread."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        on_change: Callable[[str], None],
        *,
        wait: float = WAIT,
        retry: float = RETRY,
    ) -> None:
        self.targets = watchable(sources)
        self.on_change = on_change
        self.wait = wait
        self.retry = retry
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start watching; returns the names of the sources watched."""
        for name, source in self.targets.items():
            thread = threading.Thread(
                target=self._watch, args=(name, source), name=f"watch {name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return list(self.targets)

    def stop(self) -> None:
        """Stop after the current wait; closing the source ends it at once."""
        self._stop.set()

    def _watch(self, name: str, source: Source) -> None:
        while not self._stop.is_set():
            try:
                changed = source.wait_for_change(self.wait)
            except Exception as exc:  # the scheduled poll reports the error properly
                log.info("watching %s failed (%s); retrying in %.0f s", name, exc, self.retry)
                self._stop.wait(self.retry)
                continue
            if changed and not self._stop.is_set():
                self.on_change(name)
