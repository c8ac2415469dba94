"""The audit log: an append-only, fsync'd JSON Lines file of everything done.

Owners rely on it to answer "did that ping go out?", so each entry is one
``os.write`` of a complete line to an ``O_APPEND`` descriptor followed by
``fsync``: once ``append`` returns, a kill -9 or power cut cannot lose the
entry. A crash *during* a write can leave a torn last line; readers skip it
(and report it) instead of misreading it, and the next append starts on a
fresh line so the torn bytes never glue onto a good entry.

Actions write an ``intent`` entry before they send and an outcome entry
(referencing the intent by ``intent_id``) after, so a crash in between shows as
a pending intent and blocks a blind duplicate.

Nothing here prunes the file. Secrets never go in: every field passes the
redactor (``farwatch.sources.redact``) first, URLs in ``channel`` and
``detail`` are reduced to scheme and host, and user:password@ is dropped from
URLs anywhere.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from farwatch.sources.model import out_of_range_text, time_in_range
from farwatch.sources.redact import redact
from farwatch.state.snapshot import PauseState

try:  # POSIX advisory lock keeps concurrent writers' lines whole
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# Actions that change whether a worker is paused, and the outcome that means
# the change happened (dry runs and failures do not pause anyone).
PAUSE_ACTIONS = frozenset({"pause", "auto_pause"})
RESUME_ACTIONS = frozenset({"resume", "auto_resume"})
PING_ACTIONS = frozenset({"ping", "auto_ping"})
"""Messages to a worker that the ping cooldown counts (manual and automatic)."""
DONE = "done"
INTENT = "intent"
SENT = "sent"


def current_actor() -> str:
    """``user@host`` of whoever runs this process."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname() or 'localhost'}"


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing farwatch did or saw.

    ``action``: ping, notify, pause, resume, auto_pause, stop_timer, threshold,
    source_failure, ... ``outcome``: intent, sent, failed, skipped, dry_run,
    done, stopped, not_running, refused, ... Outcome entries carry the ``id``
    of their intent in ``intent_id``.
    """

    action: str
    worker: str = ""
    channel: str = ""
    message: str = ""
    outcome: str = ""
    detail: str = ""
    intent_id: str = ""
    time: datetime = field(default_factory=_now)
    actor: str = field(default_factory=current_actor)
    id: str = field(default_factory=_new_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.astimezone(UTC).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "worker": self.worker,
            "channel": self.channel,
            "message": self.message,
            "outcome": self.outcome,
            "detail": self.detail,
            "intent_id": self.intent_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        """Build from a parsed line; raises ValueError/KeyError/TypeError if malformed."""
        when = datetime.fromisoformat(str(data["time"]))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            when = when.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"time {out_of_range_text(data['time'])}") from None
        if not time_in_range(when):
            raise ValueError(f"time {out_of_range_text(data['time'])}")
        action = data["action"]
        if not isinstance(action, str) or not action:
            raise ValueError("entry without an action")
        return cls(
            id=str(data["id"]),
            time=when,
            actor=str(data.get("actor", "")),
            action=action,
            worker=str(data.get("worker", "")),
            channel=str(data.get("channel", "")),
            message=str(data.get("message", "")),
            outcome=str(data.get("outcome", "")),
            detail=str(data.get("detail", "")),
            intent_id=str(data.get("intent_id", "")),
        )


# -- secrets -------------------------------------------------------------

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s\"'<>]+")
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://)[^\s/@\"'<>]+@")


def _real_host(host: str) -> bool:
    """A hostname worth keeping: has a dot, is an IP, or localhost.

    Many apprise URLs put a token where the host goes (``slack://TokenA/...``,
    ``discord://webhook_id/...``); those have no dot and are dropped.
    """
    return host == "localhost" or "." in host or ":" in host


def scrub_url(url: str) -> str:
    """Reduce a URL to ``scheme://host[:port]``; token-like hosts become ``***``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        scheme = url.split("://", 1)[0]
        return f"{scheme}://***"
    if not host or not _real_host(host):
        return f"{parts.scheme}://***"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def scrub_text(text: str) -> str:
    """Replace every URL in ``text`` by its scrubbed form."""
    return _URL.sub(lambda m: scrub_url(m.group(0)), text)


def drop_userinfo(text: str) -> str:
    """Remove ``user:password@`` from URLs but keep the rest (for message bodies)."""
    return _USERINFO.sub(r"\1", text)


def _scrubbed(entry: AuditEntry) -> AuditEntry:
    return replace(
        entry,
        worker=redact(entry.worker),
        channel=scrub_text(redact(entry.channel)),
        detail=scrub_text(redact(entry.detail)),
        message=drop_userinfo(redact(entry.message)),
    )


# -- writing -------------------------------------------------------------


def append(path: Path, entry: AuditEntry) -> AuditEntry:
    """Durably append ``entry``; returns it as written (secrets scrubbed).

    When this returns the line is on disk (fsync'd). Raises OSError when the
    log cannot be written, so callers never believe an unrecorded action.
    """
    entry = _scrubbed(entry)
    line = orjson.dumps(entry.to_json()) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        st = os.fstat(fd)
        if st.st_mode & 0o077:
            os.fchmod(fd, 0o600)  # an owner-only record, whoever created it
        size = st.st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A torn line from an earlier crash: start ours on a fresh line.
            line = b"\n" + line
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the flock
    if created:
        _fsync_dir(path.parent)
    return entry


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# -- reading -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line that could not be read: torn by a crash or edited by hand."""

    line_no: int
    reason: str
    text: str
    """The first bytes of the line, decoded leniently, for the report."""


@dataclass(slots=True)
class _Parsed:
    ino: int
    size: int
    mtime_ns: int
    offset: int
    """Bytes consumed: up to and including the last newline seen."""
    lines: int
    entries: list[AuditEntry]
    """Oldest first."""
    skipped: list[SkippedLine]
    tail: SkippedLine | None = None
    """An incomplete last line (crash, or a write still in progress)."""
    paused: dict[str, PauseState] = field(default_factory=dict)
    """Kept up to date as lines are parsed, so appends cost one line, not the file."""


@dataclass(frozen=True, slots=True)
class AuditLog:
    """What is in the log now: entries newest first, and lines it skipped."""

    entries: list[AuditEntry]
    skipped: list[SkippedLine]


_cache: dict[Path, _Parsed] = {}
_cache_lock = threading.Lock()


def _parse_lines(data: bytes, first_line_no: int) -> tuple[list[AuditEntry], list[SkippedLine]]:
    entries: list[AuditEntry] = []
    skipped: list[SkippedLine] = []
    for n, raw in enumerate(data.split(b"\n"), start=first_line_no):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            entries.append(AuditEntry.from_json(obj))
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            skipped.append(
                SkippedLine(n, f"unreadable line: {exc}", raw[:120].decode("utf-8", "replace"))
            )
    return entries, skipped


def _load(path: Path) -> _Parsed | None:
    """Parse the log, reusing what was parsed before (the file only grows)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    key = path.resolve()
    with _cache_lock:
        cached = _cache.get(key)
        if (
            cached is not None
            and cached.ino == st.st_ino
            and cached.size == st.st_size
            and cached.mtime_ns == st.st_mtime_ns
        ):
            return cached
        if cached is None or cached.ino != st.st_ino or st.st_size < cached.offset:
            cached = _Parsed(st.st_ino, 0, 0, 0, 0, [], [])
        with open(path, "rb") as fh:
            fh.seek(cached.offset)
            data = fh.read()
        end = data.rfind(b"\n")
        complete, rest = (data[: end + 1], data[end + 1 :]) if end >= 0 else (b"", data)
        if complete:
            new_entries, new_skipped = _parse_lines(complete[:-1], cached.lines + 1)
            cached.entries.extend(new_entries)
            cached.skipped.extend(new_skipped)
            cached.lines += complete.count(b"\n")
            cached.offset += len(complete)
            _apply_pauses(cached.paused, new_entries)
        cached.tail = (
            SkippedLine(
                cached.lines + 1,
                "incomplete last line (torn by a crash, or being written)",
                rest[:120].decode("utf-8", "replace"),
            )
            if rest.strip()
            else None
        )
        cached.size = cached.offset + len(rest)
        cached.mtime_ns = st.st_mtime_ns
        if cached.size != st.st_size:  # grew while we read: do not trust the stamp
            cached.mtime_ns = -1
        _cache[key] = cached
        return cached


def read_log(path: Path, *, worker: str | None = None) -> AuditLog:
    """Entries newest first (optionally one worker's) and the lines skipped."""
    parsed = _load(path)
    if parsed is None:
        return AuditLog([], [])
    if worker is None:
        entries = parsed.entries[::-1]
    else:
        entries = [e for e in reversed(parsed.entries) if e.worker == worker]
    skipped = list(parsed.skipped)
    if parsed.tail is not None:
        skipped.append(parsed.tail)
    return AuditLog(entries, skipped)


def read_entries(path: Path, *, worker: str | None = None) -> list[AuditEntry]:
    """Entries newest first; unreadable lines are skipped (see ``read_log``)."""
    return read_log(path, worker=worker).entries


def _apply_pauses(paused: dict[str, PauseState], entries: list[AuditEntry]) -> None:
    for entry in entries:
        if entry.outcome != DONE or not entry.worker:
            continue
        if entry.action in PAUSE_ACTIONS:
            paused[entry.worker] = PauseState(
                worker_id=entry.worker,
                since=entry.time,
                reason=entry.message,
                actor=entry.actor,
            )
        elif entry.action in RESUME_ACTIONS:
            paused.pop(entry.worker, None)


def paused_workers(path: Path) -> dict[str, PauseState]:
    """Who is paused now: the latest pause/auto_pause vs resume per worker."""
    parsed = _load(path)
    if parsed is None:
        return {}
    with _cache_lock:
        return dict(parsed.paused)


def pending_intents(path: Path, *, worker: str | None = None) -> list[AuditEntry]:
    """Intents with no outcome yet, newest first: a crash between send and record."""
    parsed = _load(path)
    if parsed is None:
        return []
    answered = {e.intent_id for e in parsed.entries if e.intent_id}
    return [
        e
        for e in reversed(parsed.entries)
        if e.outcome == INTENT and e.id not in answered and (worker is None or e.worker == worker)
    ]


def last_ping(path: Path, worker: str) -> datetime | None:
    """When ``worker`` was last pinged, for the cooldown.

    Counts pings that were sent on at least one channel, and intents that never
    got an outcome (the process died mid-send: the message may have gone).
    Failed, skipped and dry-run pings do not count.
    """
    parsed = _load(path)
    if parsed is None:
        return None
    outcomes: dict[str, list[str]] = {}
    intents: list[AuditEntry] = []
    for e in parsed.entries:
        if e.worker != worker or e.action not in PING_ACTIONS:
            continue
        if e.outcome == INTENT:
            intents.append(e)
        elif e.intent_id:
            outcomes.setdefault(e.intent_id, []).append(e.outcome)
        elif e.outcome == SENT:
            intents.append(e)
    latest: datetime | None = None
    for e in intents:
        results = outcomes.get(e.id)
        counts = e.outcome == SENT or results is None or SENT in results
        if counts and (latest is None or e.time > latest):
            latest = e.time
    return latest


def clear_cache() -> None:
    """Forget parsed logs (tests that rewrite a file in place)."""
    with _cache_lock:
        _cache.clear()
