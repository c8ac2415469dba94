"""Reading local files without ever blocking: only regular files, capped by bytes read.

``open()`` on a FIFO blocks until someone writes to it, and a device such as
``/dev/zero`` has a size of 0 and no end. So a local source opens with
``O_NONBLOCK`` (an open that never waits), checks with ``fstat`` on the open
descriptor (no race between a check and the open) that it got a regular file,
and counts its cap in bytes actually read, never in ``st_size``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_CHUNK = 256 * 1024
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: nothing to read."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path} is {what}, not a regular file")
        self.path = path
        self.what = what


def kind_of(mode: int) -> str:
    """Plain words for a file type that is not a regular file."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def read_regular(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """At most ``limit + 1`` bytes of ``path`` (one more than the cap, so a caller can
    tell "exactly at the cap" from "over it"), and its ``fstat``.

    Raises:
        NotRegularFile: a FIFO, device, socket or folder (never blocks on one).
        OSError: missing, unreadable (a socket refuses to open: ``ENXIO``).
    """
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a Unix socket cannot be opened as a file
            raise NotRegularFile(path, "a socket") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, kind_of(st.st_mode))
        return _read_upto(fd, limit + 1), st
    finally:
        os.close(fd)


def _read_upto(fd: int, count: int) -> bytes:
    parts: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(_CHUNK, left))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)
