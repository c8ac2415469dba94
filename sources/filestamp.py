"""Read a local file only when it changed: shared by the sheet and timesheet sources.

A stat (size + mtime) answers most polls without opening the file; a content
hash answers the rest (a file touched or rewritten with the same bytes), so an
unchanged file costs nothing downstream. A file modified within the last two
seconds is not trusted to its stat alone: a rewrite within the same mtime
tick with the same size would otherwise go unnoticed. Only a regular file is
ever opened, without blocking, and its size cap counts the bytes actually read
(``farwatch.sources.localfile``): a ``path`` at a FIFO or ``/dev/zero`` is a
clear error, not a hang.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from farwatch.sources.base import SourceError
from farwatch.sources.localfile import NotRegularFile, kind_of, read_regular
from farwatch.sources.model import Cursor

MAX_FILE_BYTES = 10 * 1024 * 1024
_RACY = 2.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FileRead:
    """``data`` is None when the file is unchanged since ``cursor``; ``stamp`` is the
    cursor to keep (size, mtime, hash)."""

    data: bytes | None
    stamp: dict[str, Any]


def read_if_changed(
    path: Path, cursor: Cursor, now: datetime, *, what: str, source: str
) -> FileRead:
    """Stat, and read + hash only when the stat or the content changed.

    Raises:
        SourceError: file (missing, unreadable or not a file, naming the path),
            content (> 10 MB).
    """
    target = hashlib.sha256(str(path).encode("utf-8", "replace")).hexdigest()[:16]
    same = cursor.get("target") == target
    st = _io(lambda: path.stat(), path, what, source)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(source, what, path, kind_of(st.st_mode))
    stamp: dict[str, Any] = {"target": target, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    settled = now.timestamp() - st.st_mtime_ns / 1e9 > _RACY
    if (
        same
        and settled
        and cursor.get("settled")
        and all(cursor.get(k) == v for k, v in stamp.items())
    ):
        return FileRead(None, dict(cursor))
    if st.st_size > MAX_FILE_BYTES:
        raise _too_large(source, what, path)
    data, _st = _io(lambda: read_regular(path, MAX_FILE_BYTES), path, what, source)
    if len(data) > MAX_FILE_BYTES:  # grew, or a file whose size says nothing (/proc)
        raise _too_large(source, what, path)
    digest = hashlib.sha256(data).hexdigest()
    stamp.update(settled=settled, sha256=digest)
    if same and cursor.get("sha256") == digest:
        return FileRead(None, stamp)
    return FileRead(data, stamp)


def _too_large(source: str, what: str, path: Path) -> SourceError:
    return SourceError(
        f"{source}: {what} {path} is larger than 10 MB",
        title="file too large",
        kind="content",
        retryable=False,
    )


def _not_regular(source: str, what: str, path: Path, kind: str) -> SourceError:
    return SourceError(
        f"{source}: {what} {path} is {kind}, not a regular file; farwatch reads only files",
        title="not a file",
        kind="file",
    )


def _io(step: Callable[[], T], path: Path, what: str, source: str) -> T:
    try:
        return step()
    except NotRegularFile as exc:
        raise _not_regular(source, what, path, exc.what) from None
    except FileNotFoundError:
        raise SourceError(
            f"{source}: {what} {path} does not exist", title="file missing", kind="file"
        ) from None
    except OSError as exc:
        raise SourceError(
            f"{source}: cannot read {what} {path}: {exc.strerror or type(exc).__name__}",
            title="file unreadable",
            kind="file",
        ) from None


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of a CSV as text, and a warning when it was not UTF-8.

    Excel on Windows saves CSV as Windows-1252 (or UTF-16 for "Unicode text");
    the file must still load, with a word about the guess.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), ""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            data.decode("cp1252", "replace"),
            f"line {line}: the file is not UTF-8; read it as Windows-1252",
        )
