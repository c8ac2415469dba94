"""One cache writer at a time, across processes.

A ``farwatch poll`` daemon and a dashboard may share one cache; if both wrote,
each would overwrite the other's records. The writer takes an exclusive,
non-blocking ``flock`` on ``<cache>.lock`` and records who it is (pid, host,
command, since) inside, so a second writer can be told exactly who holds the
cache and fall back to reading. The kernel releases a ``flock`` when its holder
dies, so a lock file left by a killed process (a dead pid) is simply taken over
and rewritten by the next writer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

LOCK_MODE = 0o600
RACE_WAIT = 1.0
"""Seconds a loser waits for the winner's record (see ``_lock_or_learn_holder``)."""


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds (or last held) the writer lock, as recorded in the lock file."""

    pid: int
    host: str
    command: str
    since: datetime

    def describe(self) -> str:
        """E.g. ``pid 1234 on nas (farwatch poll) since 10:02``, in local time."""
        local = self.since.astimezone()
        day = "" if local.date() == datetime.now().astimezone().date() else " %Y-%m-%d"
        since = local.strftime("%H:%M" + day)
        text = f"pid {self.pid} on {self.host} ({self.command}) since {since}"
        return "".join(ch for ch in text if ch.isprintable())  # the file is not ours to trust

    def alive(self) -> bool | None:
        """Whether the holder process still exists; None when it runs on another host."""
        if self.host != socket.gethostname():
            return None
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def lock_path_for(cache_path: Path) -> Path:
    return cache_path.with_name(cache_path.name + ".lock")


def current_command() -> str:
    """A short name for this process, e.g. ``farwatch poll``."""
    argv = [a for a in sys.argv if a]
    if not argv:
        return "python"
    prog = Path(argv[0]).name
    if prog in ("-", "-c", "-m"):
        prog = "python"
    elif prog == "__main__.py":  # python -m farwatch
        prog = Path(argv[0]).parent.name
    words = [prog] + [a for a in argv[1:3] if not a.startswith("-")]
    return " ".join(words)[:60]


class WriterLock:
    """The exclusive writer lock of one cache file.

    ``acquire`` never blocks: it returns False when another process holds the
    lock, and ``holder`` then says who. Not thread-safe; one per process.
    """

    def __init__(self, cache_path: Path, *, command: str | None = None) -> None:
        self.cache_path = cache_path
        self.path = lock_path_for(cache_path)
        self.command = command or current_command()
        self._fd: int | None = None
        self.took_over: LockHolder | None = None
        """The dead holder whose stale lock file this process took over, if any."""
        self.seen_holder: LockHolder | None = None
        """Who held the lock when ``acquire`` last failed."""

    def acquire(self, now: datetime | None = None) -> bool:
        """Try to become the writer.

        Raises:
            OSError: the lock file cannot be created or opened (permissions, ...).
        """
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, LOCK_MODE)
        try:
            locked = self._lock_or_learn_holder(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            return False
        previous = _parse_holder(_read_fd(fd))
        if previous is not None and previous.pid != os.getpid():
            self.took_over = previous
        me = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=self.command,
            since=(now or datetime.now(UTC)).astimezone(UTC),
        )
        record = orjson.dumps(
            {"pid": me.pid, "host": me.host, "command": me.command, "since": me.since.isoformat()}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, record + b"\n", 0)
        os.fchmod(fd, LOCK_MODE)
        self._fd = fd
        return True

    def _lock_or_learn_holder(self, fd: int) -> bool:
        """Take the flock, or learn who has it (``seen_holder``).

        A writer records itself just after locking, and a ``poll --once`` may be
        done within milliseconds, so a process that lost the race can find no
        record yet: it waits briefly for one, and takes the lock if it is freed
        meanwhile, rather than naming "another process".
        """
        deadline = time.monotonic() + RACE_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            self.seen_holder = _parse_holder(_read_fd(fd))
            if self.seen_holder is not None or time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def holder(self) -> LockHolder | None:
        """Who the lock file says holds the lock (None if unrecorded or unreadable)."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None
        return _parse_holder(raw)

    def describe_holder(self) -> str:
        """Plain words about the current holder, for the read-only notice."""
        recorded = self.holder()
        holder = recorded or self.seen_holder  # a one-shot holder may have finished since
        if holder is None:
            return "another farwatch process"
        text = holder.describe()
        if recorded is not None and holder.alive() is False:
            text += " (that process has exited, but a process it started still holds the lock)"
        return text

    def release(self) -> None:
        """Give up the lock; the file stays (deleting it would race with a new writer)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 4096, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _parse_holder(raw: bytes) -> LockHolder | None:
    try:
        data = orjson.loads(raw)
        since = datetime.fromisoformat(str(data["since"]))
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return LockHolder(
            pid=int(data["pid"]),
            host=str(data["host"]),
            command=str(data["command"]),
            since=since,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
