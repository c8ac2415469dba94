"""Read a batch of messages from an open IMAP folder into check-ins, one message at a time.

Only the header fields farwatch reads are fetched (``HEADER.FIELDS`` with a
partial range) plus the first 2 KB of the first text part, and every literal
is cut at ``LITERAL_BYTES`` as it arrives. A message whose answer cannot be
read is fetched again alone, headers only; if even that fails it is skipped.
Either way it is counted and named in the poll's warnings, and the rest of the
batch goes on. Dates are checked too: an INTERNALDATE that is not a real
instant (``+2400``, year 9999 or 0001) gives way to the Date header, else to
the poll's own time, so a check-in never hides in the future or the distant past.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from farwatch.sources import mailparse
from farwatch.sources.imap_mime import TextPart, first_text_part, synthetic_message
from farwatch.sources.imap_wire import internaldate, plausible, uid_fetch
from farwatch.sources.model import CheckIn

log = logging.getLogger(__name__)

HEADER_FIELDS = "FROM SENDER REPLY-TO RETURN-PATH MESSAGE-ID SUBJECT DATE RECEIVED"
"""The only headers farwatch reads (sender, key, subject, times)."""
HEADER_BYTES = 16 * 1024
PREVIEW_BYTES = 2048
LITERAL_BYTES = HEADER_BYTES
"""No literal the server sends is kept beyond this, whatever it announces."""
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]<0.{HEADER_BYTES}>".encode()
META_ITEMS = (b"UID", b"INTERNALDATE", b"BODYSTRUCTURE", HEADER_ITEM)
ALONE_LIMIT = 50
"""At most this many messages of one batch are re-fetched one by one."""


@dataclass(slots=True)
class BatchRead:
    """What reading one batch found, UID by UID."""

    checkins: list[CheckIn] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    """Settled for good: read, skipped as unreadable, without sender, or older than the lookback."""
    missing: set[int] = field(default_factory=set)
    """Asked for and never answered (expunged meanwhile, or a server that omits them)."""
    headers_only: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    no_sender: list[int] = field(default_factory=list)
    bad_dates: list[int] = field(default_factory=list)
    too_old: int = 0


class MessageReader:
    """Fetches and parses batches for one source; stateless between polls."""

    def __init__(self, name: str, since: datetime, now: datetime) -> None:
        self.name = name
        self.since = since
        self.now = now

    def read(self, client: IMAPClient, uids: list[int]) -> BatchRead:
        out = BatchRead()
        meta = uid_fetch(client, uids, META_ITEMS)
        messages = dict(meta.messages)
        dates = dict(meta.raw_dates)
        retry = [u for u in uids if u not in messages]
        for uid in retry[:ALONE_LIMIT]:
            alone = uid_fetch(client, [uid], META_ITEMS)
            if uid in alone.messages:
                messages[uid] = alone.messages[uid]
                dates.update(alone.raw_dates)
                continue
            if not alone.unreadable:
                continue  # not answered at all: missing, tried again next poll
            headers = uid_fetch(client, [uid], (b"UID", HEADER_ITEM))
            if uid in headers.messages:
                messages[uid] = headers.messages[uid]
                out.headers_only.append(uid)
            else:
                out.skipped.append(uid)
                out.done.add(uid)
        parts = {uid: _part(data) for uid, data in messages.items()}
        bodies = self._previews(client, parts)
        for uid in uids:
            data = messages.get(uid)
            if data is None:
                if uid not in out.done:
                    out.missing.add(uid)
                continue
            out.done.add(uid)
            self._one(uid, data, dates.get(uid), parts.get(uid), bodies.get(uid, b""), out)
        return out

    def _previews(self, client: IMAPClient, parts: dict[int, TextPart | None]) -> dict[int, bytes]:
        by_section: dict[str, list[int]] = {}
        for uid, part in parts.items():
            if part is not None:
                by_section.setdefault(part.section, []).append(uid)
        bodies: dict[int, bytes] = {}
        for section, members in by_section.items():
            item = f"BODY.PEEK[{section}]<0.{PREVIEW_BYTES}>".encode("ascii")
            prefix = f"BODY[{section}]".encode("ascii")
            for uid, data in uid_fetch(client, members, (b"UID", item)).messages.items():
                body = _item(data, prefix)
                if body is not None:
                    bodies[uid] = body[:PREVIEW_BYTES]  # a server may ignore the range
        return bodies

    def _one(
        self,
        uid: int,
        data: dict[bytes, Any],
        raw_date: bytes | None,
        part: TextPart | None,
        body: bytes,
        out: BatchRead,
    ) -> None:
        headers = _item(data, b"BODY[HEADER") or b""
        try:
            mail = _summary(headers, part, body)
        except Exception as exc:  # the email package has surprises; this message only
            log.info("%s: UID %d could not be read (%s)", self.name, uid, type(exc).__name__)
            out.skipped.append(uid)
            return
        at = internaldate(raw_date)
        if not plausible(at, self.now):
            if raw_date is not None or b"INTERNALDATE" in data:
                out.bad_dates.append(uid)
            at = mail.date if plausible(mail.date, self.now) else self.now
        assert at is not None
        if at < self.since:
            out.too_old += 1  # a server that ignored SINCE: the lookback still holds
            return
        checkin = mailparse.checkin_from(mail, received_at=at, fallback_key=stable_key(mail))
        if checkin is None:
            out.no_sender.append(uid)
        else:
            out.checkins.append(checkin)


def stable_key(mail: mailparse.MailSummary) -> str:
    """A key for mail without a Message-ID that survives a rebuilt folder: sender, date, subject.

    Not the raw headers: servers rewrite some of them, and then a re-read
    folder would count the same check-in twice.
    """
    date = mail.date.isoformat() if mail.date else ""
    text = "\x00".join((mail.sender, date, mail.subject))
    return "imap:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:24]


def _summary(headers: bytes, part: TextPart | None, body: bytes) -> mailparse.MailSummary:
    """The message summary; a text part we cannot decode costs its first line only."""
    try:
        return mailparse.summarize(synthetic_message(headers, part, body))
    except Exception:
        if part is None:
            raise
        return mailparse.summarize(synthetic_message(headers, None, b""))


def _part(data: dict[bytes, Any]) -> TextPart | None:
    try:
        return first_text_part(data.get(b"BODYSTRUCTURE"))
    except Exception:  # a structure we cannot walk: headers-only check-in
        return None


def _item(data: dict[bytes, Any], prefix: bytes) -> bytes | None:
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix) and isinstance(value, bytes):
            return value
    return None
