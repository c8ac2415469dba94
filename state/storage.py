"""A crash-safe, in-memory-first storage for the cache's TinyDB.

TinyDB's default JSON storage rewrites the file in place on every insert, so a
kill mid-write leaves a truncated file and a poll of 500 records costs 500 full
rewrites. This storage keeps the parsed tables in memory (``read`` is free),
lets ``write`` only record the new state, and puts it on disk in ``flush``:
serialise with orjson, write a temp file in the same directory, fsync it,
``os.replace`` it over the old file and fsync the directory. A reader therefore
always sees either the old file or the new one, whole.

It duck-types TinyDB's ``Storage`` (read/write/close) without importing TinyDB,
so only ``farwatch.state.cache`` knows the database library.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

Tables = dict[str, dict[str, Any]]

FILE_MODE = 0o600
DIR_MODE = 0o700


class CacheError(Exception):
    """The cache cannot be used (wrong path, no permission, read-only, ...)."""


class CacheUnreadable(CacheError):
    """The cache file exists but is not a farwatch cache we can parse."""


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What identifies one version of the file, so readers notice a rewrite."""

    inode: int
    size: int
    mtime_ns: int


def stamp_of(path: Path) -> FileStamp | None:
    """The file's stamp, or None when it does not exist."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return FileStamp(st.st_ino, st.st_size, st.st_mtime_ns)


def temp_prefix(path: Path) -> str:
    """Temp files are hidden siblings, so ``os.replace`` never crosses a filesystem."""
    return f".{path.name}.tmp-"


class AtomicJSONStorage:
    """TinyDB storage: parsed data in memory, atomic whole-file writes on flush.

    Args:
        path: the cache file; it need not exist yet.
        read_only: refuse ``flush`` (a second process reading the writer's file).
        load: read the file now (False starts empty, e.g. beside an unreadable file).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, read_only: bool = False, load: bool = True
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.flushes = 0
        """Number of times the file was written; the tests count poll-cycle writes."""
        self._data: Tables | None = None
        self._dirty = False
        self._stamp: FileStamp | None = None
        if load:
            self.load()

    # -- TinyDB storage interface ----------------------------------------

    def read(self) -> Tables | None:
        """The in-memory tables (TinyDB mutates and hands them back via ``write``)."""
        return self._data

    def write(self, data: Tables) -> None:
        """Record the new state; nothing reaches the disk until ``flush``."""
        self._data = data
        self._dirty = True

    def close(self) -> None:
        """Nothing is held open between flushes."""

    # -- farwatch additions ----------------------------------------------

    def load(self) -> None:
        """(Re-)read the file into memory.

        Raises:
            CacheUnreadable: the file is not valid JSON of tables of documents.
            OSError: the file exists but cannot be read (permissions, ...).
        """
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())  # the stamp of exactly what we read
                raw = fh.read()
        except FileNotFoundError:
            self._data, self._stamp, self._dirty = None, None, False
            return
        self._data = parse_tables(raw) if raw.strip() else None
        self._stamp = FileStamp(st.st_ino, st.st_size, st.st_mtime_ns)
        self._dirty = False

    @property
    def dirty(self) -> bool:
        """True when the tables changed since the file was read or written."""
        return self._dirty

    def changed_on_disk(self) -> bool:
        """True when the file is not the version this storage last read or wrote."""
        return stamp_of(self.path) != self._stamp

    def flush(self, *, sync_dir: bool = True) -> bool:
        """Write the tables to disk atomically if they changed; True if it wrote.

        ``sync_dir=False`` leaves the new name's durability to a later write
        in the same folder that syncs it (the cache's main file, written next).

        Raises:
            CacheError: when opened read-only.
            OSError: when the disk refuses (full, permissions); the old file is intact.
        """
        if self.read_only:
            raise CacheError(f"cache {self.path} is open read-only; it cannot be written")
        if not self._dirty:
            return False
        payload = orjson.dumps(self._data or {})
        write_atomic(self.path, payload, sync_dir=sync_dir)
        self._stamp = stamp_of(self.path)
        self._dirty = False
        self.flushes += 1
        return True

    def remove_stale_temps(self) -> int:
        """Delete temp files a killed writer left behind; only the lock holder calls this."""
        removed = 0
        for leftover in self.path.parent.glob(temp_prefix(self.path) + "*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
        return removed


def parse_tables(raw: bytes) -> Tables:
    """Parse and shape-check TinyDB's layout: {table: {doc_id: {field: value}}}."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CacheUnreadable(f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CacheUnreadable(f"expected an object of tables, found {type(data).__name__}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise CacheUnreadable(f"table {name!r} is not an object")
        for doc_id, doc in table.items():
            if not isinstance(doc, dict) or not doc_id.isdigit():
                raise CacheUnreadable(f"table {name!r} has a malformed document {doc_id!r}")
    return data


def write_atomic(path: Path, payload: bytes, *, sync_dir: bool = True) -> None:
    """Replace ``path`` with ``payload`` so that no crash leaves it half-written."""
    tmp = path.with_name(f"{temp_prefix(path)}{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, FILE_MODE)  # O_CREAT's mode is masked by umask; be explicit
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)
