"""What goes over the IMAP wire, checked both ways: credentials out, literals and FETCH answers in.

A mail server is trusted with the password, not with farwatch's memory or
its cursor: credentials are refused if they could smuggle a command (CR, LF
and other control characters) and otherwise sent quoted or as a literal,
never bare; every literal the server sends is cut at a byte cap as it is read
(the rest is read and thrown away, so the connection stays in step); and each
message's FETCH answer is parsed on its own, so one malformed answer costs
that message only.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.response_parser import parse_fetch_response

from farwatch.sources.base import SourceError
from farwatch.sources.redact import redact
from farwatch.sources.text import has_control_character

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MESSAGE_START = re.compile(rb"^\d+ \(")
_SIZE = re.compile(rb"\{\d+\}$")
_UID = re.compile(rb"\bUID (\d+)\b", re.I)
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) '
    rb'(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"',
    re.I,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
MAX_UID = 4294967295
"""UIDs are 32-bit unsigned and never 0 (RFC 3501 §2.3.1.1)."""


# --------------------------------------------------------------- credentials
def check_host(source: str, host: str) -> None:
    """Refuse a host name no resolver could take, before any connection (a config error)."""
    if has_control_character(host):
        raise SourceError(
            f"{source}: host contains a control character (such as a line break); control "
            "characters are not allowed in a host name, so fix the host key in the config",
            title="bad host",
            kind="config",
            retryable=False,
        )


def check_credentials(source: str, username: str, password: str) -> None:
    """Refuse credentials that could end the LOGIN line early (a config error, not retried)."""
    for what, value in (("username", username), ("password", password)):
        if _CONTROL.search(value):
            raise SourceError(
                f"{source}: the {what} contains a control character (such as a line break); "
                "fix the configured value",
                title="bad credentials",
                kind="config",
                retryable=False,
            )


def _argument(value: str) -> tuple[bytes, bool]:
    """A LOGIN argument and whether it goes as a literal: quoted when ASCII, else UTF-8."""
    data = value.encode("utf-8")
    if data.isascii():
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"', False
    return data, True


def login(client: IMAPClient, username: str, password: str) -> None:
    """LOGIN with both arguments quoted or as literals, and nothing of it logged.

    imaplib sends the user name bare and cannot encode a non-ASCII password;
    imapclient's raw commands log what they send. So the line is written here.
    """
    imap = client._imap
    imap.debug = 0  # imaplib's wire log would hold the password and any echo of it
    tag = imap._new_tag()
    pending = tag + b" LOGIN"
    for value in (username, password):
        data, literal = _argument(value)
        if not literal:
            pending += b" " + data
            continue
        imap.send(pending + b" {%d}\r\n" % len(data))
        while imap._get_response():  # until the server's "+" continuation
            if imap.tagged_commands.get(tag):
                raise LoginError("login failed: the server refused the literal")
        pending = data
    imap.send(pending + b"\r\n")
    typ, data = imap._command_complete("LOGIN", tag)
    if typ != "OK":
        raise LoginError(f"login failed: {data!r}")
    imap.state = "AUTH"
    client._cached_capabilities = None  # servers may announce more after LOGIN


def secret_forms(secret: str) -> list[str]:
    """Every way ``secret`` may come back inside a server's answer, longest first."""
    if not secret:
        return []
    escaped = secret.replace("\\", "\\\\").replace('"', '\\"')
    raw = secret.encode("utf-8")
    forms = {
        secret,
        escaped,
        f'"{escaped}"',
        repr(secret)[1:-1],
        repr(raw)[2:-1],
        raw.decode("latin-1"),
        base64.b64encode(raw).decode("ascii"),
    }
    return sorted((f for f in forms if f), key=len, reverse=True)


def masked(text: str, secrets: Iterable[str], limit: int) -> str:
    """``text`` with every form of every secret replaced, on one line, then cut to ``limit``.

    Masking comes before cutting, so a secret split by the cut cannot survive half-visible.
    """
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "***")
    text = redact(text)  # and every other secret farwatch knows, in any of its forms
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_int(value: Any) -> int:
    """A number from a server's answer; 0 for anything that is not one."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


# ------------------------------------------------------------------ literals
@dataclass(slots=True)
class LiteralCap:
    """Cut every literal at ``limit`` bytes as it is read; remember what was cut."""

    limit: int
    cut: list[int] = field(default_factory=list)
    """The announced sizes of literals that were cut, in order (reset per fetch)."""

    def install(self, client: IMAPClient) -> None:
        imap = client._imap
        read: Callable[[int], bytes] = imap.read

        def capped(size: int) -> bytes:
            if size <= self.limit:
                return read(size)
            kept = read(self.limit)
            left = size - self.limit
            while left > 0:  # drain in small pieces: memory stays flat whatever the size
                chunk = read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
            self.cut.append(size)
            return kept

        imap.read = capped


# ------------------------------------------------------------------- FETCH
@dataclass(slots=True)
class Fetched:
    """What one UID FETCH returned, message by message."""

    messages: dict[int, dict[bytes, Any]] = field(default_factory=dict)
    raw_dates: dict[int, bytes] = field(default_factory=dict)
    unreadable: list[tuple[int | None, str]] = field(default_factory=list)
    """(UID if it could be found, why) for each answer that could not be parsed."""


def uid_fetch(client: IMAPClient, uids: Sequence[int], items: Sequence[bytes]) -> Fetched:
    """UID FETCH ``items`` of ``uids``; each message's answer parsed on its own.

    imapclient parses a whole FETCH answer at once, so one message with a bad
    date or a 900-level BODYSTRUCTURE would fail all of them; here it fails alone.
    Answers for UIDs that were not asked for (unsolicited, or invented) are dropped.
    """
    out = Fetched()
    if not uids:
        return out
    wanted = set(uids)
    typ, data = client._imap.uid(
        "FETCH", ",".join(str(u) for u in uids), "(" + " ".join(i.decode() for i in items) + ")"
    )
    if typ != "OK":
        raise client.Error(f"fetch failed: {data!r}"[:300])
    for group in _per_message(data):
        uid = _find_uid(group)
        if uid is None:
            out.unreadable.append((None, "an answer without its UID"))
            continue
        if uid not in wanted:
            continue  # unsolicited, or a UID nobody asked for
        try:
            values = parse_fetch_response(group, False, True).get(uid)
        except Exception as exc:  # RecursionError, ProtocolError, TypeError ...: this one only
            out.unreadable.append((uid, type(exc).__name__))
            continue
        if values is not None:
            out.messages[uid] = values
            date = _raw_date(group)
            if date is not None:
                out.raw_dates[uid] = date
    return out


def _segments(group: list[Any]) -> Iterable[bytes]:
    """The protocol text of one answer (literals left out)."""
    for entry in group:
        text = entry[0] if isinstance(entry, tuple) else entry
        if isinstance(text, bytes):
            yield text


def _find_uid(group: list[Any]) -> int | None:
    for text in _segments(group):
        match = _UID.search(text)
        if match:
            return int(match.group(1))
    return None


def _per_message(data: list[Any]) -> list[list[Any]]:
    """imaplib's FETCH data split into one list per ``* n FETCH`` answer."""
    groups: list[list[Any]] = []
    for entry in data:
        if entry is None:
            continue
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], bytes):
            # a literal cut by LiteralCap: announce the size that was kept
            entry = (_SIZE.sub(b"{%d}" % len(entry[1]), entry[0]), entry[1])
        head = entry[0] if isinstance(entry, tuple) else entry
        if (isinstance(head, bytes) and _MESSAGE_START.match(head)) or not groups:
            groups.append([entry])
        else:
            groups[-1].append(entry)
    return groups


def _raw_date(group: list[Any]) -> bytes | None:
    for text in _segments(group):
        match = _INTERNALDATE.search(text)
        if match:
            return match.group(0)
    return None


def internaldate(raw: bytes | None) -> datetime | None:
    """An INTERNALDATE as aware UTC, read with its four-digit year (imapclient reads 0001 as
    2001); None when it is not a real instant (``+2400``, 31 February, year 0)."""
    match = _INTERNALDATE.search(raw or b"")
    if not match:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = match.groups()
    month = _MONTHS.get(mon.decode().lower())
    if month is None or int(oh) > 14 or int(om) > 59:
        return None
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == b"-" else 1)
    try:
        local = datetime(int(year), month, int(day), int(hh), int(mm), int(ss))
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def plausible(when: datetime | None, now: datetime) -> bool:
    """A mail time farwatch can believe: not before e-mail, not past tomorrow."""
    return when is not None and datetime(1971, 1, 1, tzinfo=UTC) <= when <= now + timedelta(days=1)
