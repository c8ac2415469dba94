"""The ``maildir`` source: check-in emails from a local Maildir, read-only.

Mail synced by mbsync/offlineimap (or delivered by the demo) lands in
``new/`` and moves to ``cur/`` when a mail client reads it; only the part of
the file name before ``:`` stays the same. The cursor is the set of those
unique names already read — not a time high-water mark, because a sync tool
can deliver a file with an old mtime that a watermark would skip forever. It
is stored compactly (a 48-bit hash per message, ~12 characters) and pruned to
the files still present, so 5,000 messages cost ~60 KB and one directory scan
per poll; only new files are opened.

Files are never moved, renamed or flagged: the Maildir belongs to the owner's
mail client. Only regular files are opened, without blocking; a FIFO, device
or socket in ``new/`` or ``cur/`` is skipped and counted in a warning.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.localfile import NotRegularFile, read_regular
from farwatch.sources.mailparse import checkin_from, summarize
from farwatch.sources.model import CheckIn, Cursor, FetchResult, SourceWarning
from farwatch.sources.text import plural, was_were

READ_LIMIT = 256 * 1024
"""Bytes read per message: headers and the first text part, not attachments."""
_DIGEST = 6
_SYNC_LAG = timedelta(hours=1)
"""A top Received: header this much older than the file means it was synced late."""
_SHOWN = 3
NOT_A_FILE = "not a file"


@dataclass(frozen=True, slots=True)
class _Entry:
    folder: str
    name: str
    unique: str
    digest: str


def unique_name(filename: str) -> str:
    """The part of a Maildir file name that survives new/ → cur/ and flag changes."""
    return filename.split(":", 1)[0].split("!", 1)[0]


def name_time(filename: str) -> datetime | None:
    """The delivery time many delivery agents put first in the name ("1700000000.M1P2.host")."""
    head = filename.split(".", 1)[0].split("_", 1)[0]
    if not head.isdigit() or len(head) > 11:
        return None
    try:
        return datetime.fromtimestamp(int(head), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _special(item: os.DirEntry[str]) -> bool:
    """A FIFO, device or socket (following links); folders and files are not special."""
    try:
        mode = item.stat().st_mode
    except OSError:
        return False  # gone or a dangling link: the read decides
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _digest(unique: str) -> str:
    data = unique.encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, digest_size=_DIGEST).hexdigest()


def _unpack(value: Any) -> set[str]:
    if not isinstance(value, str):
        return set()
    width = _DIGEST * 2
    return {value[i : i + width] for i in range(0, len(value) - width + 1, width)}


def _pack(digests: set[str]) -> str:
    return "".join(sorted(digests))


class MaildirSource(Source):
    """Check-ins from the emails in a Maildir (``new/`` and ``cur/``)."""

    type_name: ClassVar[str] = "maildir"
    description: ClassVar[str] = "check-in emails from a local Maildir (mbsync, offlineimap)"
    default_interval: ClassVar[float] = 30.0
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "path", "path", required=True, help="the Maildir (the folder holding cur/ and new/)"
        ),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.path = Path(os.path.expanduser(str(self.config.get("path") or "")))

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        """Parse the messages not seen before.

        Raises:
            SourceError: config (no path / not a Maildir), io (missing or
                unreadable folder).
        """
        entries, skipped = self._scan()
        seen = _unpack(cursor.get("seen"))
        bad = _unpack(cursor.get("bad"))
        present = {e.digest for e in entries}
        checkins: list[CheckIn] = []
        new_bad: list[str] = []
        done: set[str] = set()
        for entry in entries:
            if entry.digest in seen or entry.digest in done:
                continue
            outcome = self._read(entry, now)
            if outcome is None:
                continue  # moved or deleted while we looked; the next scan finds it
            if outcome is NOT_A_FILE:
                skipped += 1
                continue
            done.add(entry.digest)
            if isinstance(outcome, CheckIn):
                checkins.append(outcome)
            else:
                bad.add(entry.digest)
                new_bad.append(f"{entry.folder}/{entry.name}")
        seen = (seen | done) & present
        bad &= present
        checkins.sort(key=lambda c: (c.at, c.key))
        warnings: list[SourceWarning] = []
        if skipped:
            many = skipped != 1
            warnings.append(
                SourceWarning(
                    "skipped",
                    f"skipped {skipped} entr{'ies' if many else 'y'} in {self.path} that "
                    f"{'are' if many else 'is'} not a regular file (a FIFO, device or socket)",
                )
            )
        if bad:
            example = f" (e.g. {', '.join(new_bad[:_SHOWN])})" if new_bad else ""
            warnings.append(
                SourceWarning(
                    "skipped",
                    f"{plural(len(bad), 'message')} in {self.path} "
                    f"had no sender address and {was_were(len(bad))} skipped{example}",
                )
            )
        return FetchResult(
            checkins=checkins,
            cursor={"v": 1, "seen": _pack(seen), "bad": _pack(bad)},
            unchanged=not done,
            warnings=warnings,
        )

    def _scan(self) -> tuple[list[_Entry], int]:
        """The messages in new/ and cur/, and how many entries are not files at all."""
        if not str(self.config.get("path") or "").strip():
            raise SourceError(
                f"{self.name}: no path configured (the Maildir folder holding cur/ and new/)",
                title="bad config",
                kind="config",
                retryable=False,
            )
        if self.path.exists() and not self.path.is_dir():
            raise SourceError(
                f"{self.name}: Maildir {self.path} is a file, not a folder",
                title="not a folder",
                kind="file",
            )
        if not self.path.is_dir():
            raise SourceError(
                f"{self.name}: Maildir {self.path} does not exist",
                title="folder missing",
                kind="file",
            )
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise SourceError(
                f"{self.name}: {self.path} is not a Maildir (it has no cur/ or new/ folder)",
                title="not a Maildir",
                kind="file",
            )
        entries: list[_Entry] = []
        skipped = 0
        for folder in ("new", "cur"):
            try:
                with os.scandir(self.path / folder) as it:
                    for item in it:
                        if item.name.startswith("."):
                            continue
                        if _special(item):
                            skipped += 1
                            continue
                        unique = unique_name(item.name)
                        entries.append(_Entry(folder, item.name, unique, _digest(unique)))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise SourceError(
                    f"{self.name}: cannot read {self.path / folder}: "
                    f"{exc.strerror or type(exc).__name__}",
                    title="folder unreadable",
                    kind="file",
                ) from None
        return entries, skipped

    def _read(self, entry: _Entry, now: datetime) -> CheckIn | bool | str | None:
        """The check-in, False when the message has no sender, None when the file went
        away, ``NOT_A_FILE`` when it is (or became) a FIFO, device or socket."""
        path = self.path / entry.folder / entry.name
        try:
            raw, st = read_regular(path, READ_LIMIT)
        except NotRegularFile as exc:
            return None if exc.what == "a folder" else NOT_A_FILE
        except FileNotFoundError:
            return None
        except OSError:
            return False
        raw = raw[:READ_LIMIT]
        try:
            mail = summarize(raw)
        except Exception:  # never let one message stop the poll
            return False
        delivered = self._delivered(entry.name, st.st_mtime, now)
        if mail.received is not None and delivered - mail.received > _SYNC_LAG:
            delivered = mail.received  # synced long after it arrived: trust the mail server
        checkin = checkin_from(
            mail, received_at=delivered, fallback_key=f"maildir:{entry.unique}", now=now
        )
        return checkin if checkin is not None else False

    @staticmethod
    def _delivered(filename: str, mtime: float, now: datetime) -> datetime:
        """Delivery time: the file's mtime (what ``mailbox.MaildirMessage`` uses), else the
        name's timestamp when the mtime is impossible (zero, or a day in the future)."""
        try:
            when = datetime.fromtimestamp(mtime, UTC)
        except (OverflowError, OSError, ValueError):
            when = None
        if when is not None and mtime > 0 and when <= now + timedelta(days=1):
            return when
        return name_time(filename) or now
