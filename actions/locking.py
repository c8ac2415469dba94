"""A lock across processes for decide-then-record steps on the audit log."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def locked_beside(audit_path: Path, purpose: str = "") -> Iterator[None]:
    """An exclusive lock across processes, on a file beside the audit log
    (one per ``purpose``), for a decide-then-record step."""
    suffix = f".{purpose}.lock" if purpose else ".lock"
    lock = audit_path.with_name(audit_path.name + suffix)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
