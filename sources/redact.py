"""The one redactor: every configured secret, in every form it travels in, out of every text.

farwatch holds keys that read a whole business's time sheets and send mail as
the owner. Servers echo what they received (a 401 body quoting the
``Authorization`` header), so a secret can come back to us base64-encoded,
URL-encoded, inside a URL or cut in half. Every value farwatch reads as a
secret is registered here the moment it is read (``register``), and every sink
(command output, the cache, the audit log, log records, notifications,
snapshots) passes its text through ``redact`` *before* cutting it to length.

``redact`` removes any piece of 8 or more characters of any registered form:

* the secret as is, URL-encoded (``quote``/``quote_plus``) and JSON-escaped;
* base64 as HTTP Basic auth sends it (``user:secret``, ``secret:api_token``):
  whatever comes before the secret only shifts it by 0, 1 or 2 bytes in the
  3-byte groups of base64, so the characters that encode the secret alone are
  one of three strings, registered whatever the user name is (standard and
  URL-safe alphabets).

Secrets shorter than 8 characters can have no 8-character piece, so they are
removed whole (from 4 characters up; shorter ones would blank ordinary text).

Log records are redacted when they are created (a ``logging`` record factory
installed on import), so httpx, urllib3, apprise and imapclient records are
covered whoever logs them and whichever handler writes them.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import traceback
from typing import Any
from urllib.parse import quote, quote_plus

PIECE = 8
"""Any run of this many characters of a secret's form is removed."""
MIN_SECRET = 4
"""Shorter values are not treated as secrets (they would blank ordinary words)."""
MASK = "***"


def base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that encode ``raw`` alone, at each of the 3 byte alignments."""
    cores: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        first = -(-8 * shift // 6)  # the first character made only of raw's bits
        last = 8 * (shift + len(raw)) // 6  # one past the last such character
        core = encoded[first:last]
        cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def forms_of(secret: str) -> set[str]:
    """Every way ``secret`` is known to travel or be echoed back."""
    found = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    found |= base64_cores(secret.encode("utf-8"))
    return {form for form in found if form}


class SecretRegistry:
    """The secrets this process has read, as 8-character pieces and short whole forms."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pieces: frozenset[str] = frozenset()
        self._quads: frozenset[str] = frozenset()
        self._short: re.Pattern[str] | None = None
        self._short_forms: set[str] = set()
        self._known: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (and its forms) so ``redact`` removes it from now on."""
        if not secret or len(secret) < MIN_SECRET or secret in self._known:
            return
        with self._lock:
            self._known.add(secret)
            pieces = set(self._pieces)
            for form in forms_of(secret):
                if len(form) >= PIECE:
                    pieces.update(form[i : i + PIECE] for i in range(len(form) - PIECE + 1))
                elif len(form) >= MIN_SECRET:
                    self._short_forms.add(form)
            self._pieces = frozenset(pieces)
            self._quads = frozenset(p[k : k + 4] for p in pieces for k in range(PIECE - 3))
            if self._short_forms:
                ordered = sorted(self._short_forms, key=len, reverse=True)
                self._short = re.compile("|".join(re.escape(f) for f in ordered))

    def __contains__(self, secret: str) -> bool:
        return secret in self._known

    def redact(self, text: str) -> str:
        """``text`` with every piece of a registered secret replaced by ``***``."""
        if not text or not self._known:
            return text
        pieces, short = self._pieces, self._short
        if pieces and len(text) >= PIECE:
            text = _mask_pieces(text, pieces, self._quads)
        if short is not None:
            text = short.sub(MASK, text)
        return text

    def clear(self) -> None:
        """Forget everything (tests that register canaries of their own)."""
        with self._lock:
            self._pieces, self._quads = frozenset(), frozenset()
            self._short, self._short_forms, self._known = None, set(), set()


def _matches(text: str, pieces: frozenset[str], quads: frozenset[str]) -> list[int]:
    """Starts of every registered 8-character piece in ``text``, in order.

    Every 8-character window contains a 4-character run starting at a multiple
    of 4, so only those are looked up first; full windows are checked only
    around a hit (a quarter of the work on text without secrets).
    """
    starts: list[int] = []
    last = len(text) - PIECE
    for j in range(0, len(text) - 3, 4):
        if text[j : j + 4] in quads:
            for i in range(max(j - 4, starts[-1] + 1 if starts else 0), min(j, last) + 1):
                if text[i : i + PIECE] in pieces:
                    starts.append(i)
    return starts


def _mask_pieces(text: str, pieces: frozenset[str], quads: frozenset[str]) -> str:
    """Replace every maximal run covered by registered 8-character pieces with one mask."""
    starts = _matches(text, pieces, quads)
    if not starts:
        return text
    out: list[str] = []
    kept, start, covered = 0, starts[0], starts[0] + PIECE
    for i in starts[1:]:
        if i > covered:  # a new run, not touching the one being masked
            out += [text[kept:start], MASK]
            kept, start = covered, i
        covered = i + PIECE
    out += [text[kept:start], MASK, text[covered:]]
    return "".join(out)


SECRETS = SecretRegistry()
"""The process-wide registry every reader of a secret adds to."""


def register(secret: str | None) -> str | None:
    """Add ``secret`` to the process-wide registry; returns it, for ``x = register(read())``."""
    SECRETS.add(secret)
    return secret


def redact(text: str) -> str:
    """``text`` with every registered secret (in any form, any 8-char piece) masked."""
    return SECRETS.redact(text)


def redact_data(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with ``redact`` applied to every string."""
    if not SECRETS._known:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_data(v) for v in value)
    return value


def redact_bytes(data: bytes) -> bytes:
    """``redact`` for UTF-8 bytes (undecodable bytes pass through unchanged)."""
    if not SECRETS._known:
        return data
    text = data.decode("utf-8", "surrogateescape")
    return redact(text).encode("utf-8", "surrogateescape")


# ------------------------------------------------------------------ streams


class RedactingWriter:
    """A text stream (stdout/stderr) that masks secrets in everything written to it.

    Everything else (``isatty``, ``encoding``, ``fileno``) is the wrapped
    stream's; ``buffer`` masks bytes written to it the same way.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    @property
    def buffer(self) -> Any:
        return _RedactingBuffer(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _RedactingBuffer:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        self._stream.write(redact_bytes(bytes(data)))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# ------------------------------------------------------------------ log records

_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    """Build a record, then fix its message (and traceback text) with secrets masked."""
    record = _base_factory(*args, **kwargs)
    if not SECRETS._known:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: the handler reports it as usual
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(text)
    return record


def install_log_redaction() -> None:
    """Redact every log record this process creates (idempotent)."""
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)


install_log_redaction()
