"""IMAP IDLE that wakes only for real news, and reconnects that cannot storm.

Some servers repeat the unchanged EXISTS count every time IDLE starts; a
watcher that took each of those as new mail re-polled (and re-logged-in) as
fast as the server answered. Here a wake-up needs the count to grow past the
one last seen on this connection, the connection is kept across wake-ups, and
connecting again is gated: exponential backoff after each failure, and at most
``PER_MINUTE`` attempts in any minute.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

PER_MINUTE = 6
"""IDLE connection attempts allowed in any 60 s."""
FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0


class ReconnectGate:
    """When the watcher may open a connection again (``clock``: monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._attempts: deque[float] = deque()
        self._failures = 0
        self._not_before = 0.0

    def wait_needed(self) -> float:
        """Seconds until the next attempt is allowed (0: now)."""
        now = self.clock()
        while self._attempts and now - self._attempts[0] >= 60.0:
            self._attempts.popleft()
        wait = max(0.0, self._not_before - now)
        if len(self._attempts) >= PER_MINUTE:
            wait = max(wait, 60.0 - (now - self._attempts[0]))
        return wait

    def attempted(self) -> None:
        self._attempts.append(self.clock())

    def failed(self) -> None:
        """The connection failed or dropped: back off a little more each time."""
        self._failures += 1
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self._failures - 1))
        self._not_before = self.clock() + delay

    def succeeded(self) -> None:
        """A full IDLE round worked: the next failure starts the backoff again."""
        self._failures = 0


def exists_grew(responses: Iterable[Any], known: int) -> tuple[bool, int]:
    """(new mail?, the count now) from untagged IDLE answers; EXPUNGE lowers the count."""
    grew = False
    for response in responses:
        if not isinstance(response, tuple) or len(response) < 2 or not isinstance(response[0], int):
            continue
        if response[1] == b"EXISTS":
            if response[0] > known:
                grew = True
            known = response[0]
        elif response[1] == b"EXPUNGE":
            known = max(0, known - 1)
    return grew, known
