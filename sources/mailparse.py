"""Turn a check-in email into a ``CheckIn``: shared by the Maildir and IMAP sources.

Mail from workers abroad arrives in every charset and state of repair, and the
IMAP source sees only the headers plus the first couple of KB of the first text
part. So nothing here trusts the MIME: headers are decoded by hand (RFC 2047
words in any charset, raw 8-bit bytes, unknown charsets with replacement
characters), transfer encodings are decoded leniently (a base64 body cut
mid-way still yields its first lines), and any surprise degrades to less text,
never an exception.

Text is kept as the sender wrote it — markup-looking text such as ``[/]`` and
escape sequences included — because display sanitising belongs to the
dashboard; only NULs and line breaks (inside one-line fields) are removed here.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.message
import email.utils
import hashlib
import html
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from farwatch.sources.model import CheckIn, CheckinKind

MAX_SUBJECT = 300
MAX_LINE = 500
MAX_HEADER = 16 * 1024
"""Raw characters of one header decoded at most (a 1 MB subject is cut first)."""
BODY_LIMIT = 64 * 1024

T = TypeVar("T")

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_FOLD = re.compile(r"\r?\n[ \t]*|\r")
_SPACES = re.compile(r"[ \t\r\n\x0b\x0c]+")
_NUL = "\x00"
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|wg|sv|vs|antw|tr|rv|res|odp)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I
)
_TAG_PREFIX = re.compile(
    r"^\s*\[(?:done|finished|completed|blocked|stuck|question|away|break|check-?in|update|"
    r"status|eod|wip|standup)\]\s*[:\-–—]?\s*",
    re.I,
)
_WORD_PREFIX = re.compile(
    r"^\s*(?:check-?in|checking in|update|status|eod|standup|daily|done|finished|completed|"
    r"blocked|stuck|question|away|break)\s*[:\-–—]\s*",
    re.I,
)
_QUOTE_INTRO = re.compile(r"^(on .{0,200} wrote:|-{2,} ?original message ?-{2,}|from: .*)$", re.I)
_TAGS = re.compile(r"<[^>]*>")
_SKIP_HTML = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_HTML = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d|p|div|li|tr)\b[^>]*>", re.I)

_KINDS: tuple[tuple[CheckinKind, re.Pattern[str]], ...] = (
    ("done", re.compile(r"(?<!not )(?<!not yet )\b(done|finished|completed|complete)\b", re.I)),
    ("blocked", re.compile(r"\b(blocked|blocker|stuck)\b", re.I)),
    ("question", re.compile(r"\bquestions?\b|[?？¿]\s*$", re.I)),
    (
        "away",
        re.compile(
            r"\b(away|on (a )?break|break|lunch|offline|signing off|sign(ed)? off|"
            r"logging off|log(ged)? off|afk|brb|out of office|ooo)\b",
            re.I,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class MailSummary:
    """The parts of a message a check-in is made of, decoded and cleaned."""

    sender: str
    sender_name: str
    message_id: str
    subject: str
    date: datetime | None
    received: datetime | None
    first_line: str


# -- headers -------------------------------------------------------------------


def _bytes_to_text(data: bytes, charset: str | None = None) -> str:
    """Decode with ``charset`` if Python knows it, else UTF-8, else Windows-1252."""
    name = _codec(charset)
    if name:
        return data.decode(name, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").split("*", 1)[0].lower()
    if name in {"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "8bit", "binary"}:
        return None
    if name in {"ks_c_5601-1987", "ks_c_5601"}:
        name = "cp949"
    if name == "gb2312":
        name = "gb18030"  # a superset; senders often label GBK text as gb2312
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return "utf-8"  # unknown charset: best effort, replacement characters


def decode_header_value(value: object, *, limit: int = MAX_HEADER) -> str:
    """A header as text: RFC 2047 words in any charset, raw 8-bit bytes, folding.

    Never raises; undecodable bytes become U+FFFD.
    """
    if value is None:
        return ""
    text = str(value)[:limit]
    try:
        raw = text.encode("ascii", "surrogateescape")
        text = _bytes_to_text(raw)
    except UnicodeEncodeError:
        pass  # already real text (non-ASCII without surrogates)
    text = _FOLD.sub(" ", text)
    text = _BETWEEN_WORDS.sub(r"\1\2", text)  # spaces between encoded words vanish
    out: list[str] = []
    pos = 0
    pending = b""
    pending_charset: str | None = None
    for match in _ENCODED_WORD.finditer(text):
        if match.start() > pos:
            if pending:
                out.append(_bytes_to_text(pending, pending_charset))
                pending = b""
            out.append(text[pos : match.start()])
        charset, mode, payload = match.groups()
        data = _decode_word(mode, payload)
        if pending and charset.lower() != (pending_charset or "").lower():
            out.append(_bytes_to_text(pending, pending_charset))
            pending = b""
        # adjacent words of one charset are joined first: mailers split multibyte text
        pending, pending_charset = pending + data, charset
        pos = match.end()
    if pending:
        out.append(_bytes_to_text(pending, pending_charset))
    out.append(text[pos:])
    return "".join(out).replace(_NUL, "")


def _decode_word(mode: str, payload: str) -> bytes:
    if mode in "Bb":
        return _b64(payload.encode("ascii", "ignore"))
    data = payload.replace("_", " ").encode("ascii", "ignore")
    return quopri.decodestring(data, header=False)


def _b64(data: bytes) -> bytes:
    """Lenient base64: junk characters dropped, a cut-off tail ignored."""
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    extra = len(clean) % 4
    clean = clean[:-1] if extra == 1 else clean + b"=" * ((4 - extra) % 4)
    try:
        return base64.b64decode(clean)
    except (binascii.Error, ValueError):
        return b""


def one_line(text: str, limit: int) -> str:
    """Whitespace (line breaks too) collapsed; NULs dropped; cut at ``limit``."""
    text = _SPACES.sub(" ", text.replace(_NUL, "")).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_message(raw: bytes) -> email.message.Message:
    """The message object, however broken the bytes (compat32 never raises here)."""
    return email.message_from_bytes(raw.replace(b"\x00", b""))


def _header(msg: email.message.Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


def sender_of(msg: email.message.Message) -> tuple[str, str]:
    """(lowercased address, display name) from From, else Sender / Reply-To.

    The address is read from the header as sent, where an encoded display
    name (``=?utf-8?q?ana=40example.com?= <x@y>``) is still encoded and cannot
    pose as the address; the decoded header is the fallback for mailers that
    encode the whole field.
    """
    for name in ("from", "sender", "reply-to", "return-path"):
        raw = _header(msg, name)[:2000]
        value = decode_header_value(raw, limit=2000)
        if not value.strip():
            continue
        address, display = _address_in(raw)
        if address:
            return one_line(address, 320), one_line(decode_header_value(display), 200)
        address, display = _address_in(value)
        if address:
            return one_line(address, 320), one_line(display, 200)
    return "", ""


_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$")


def _address_in(value: str) -> tuple[str, str]:
    """(lowercased address, display name) of one header value; ("", "") if none."""
    try:
        display, address = email.utils.parseaddr(value)
    except (ValueError, IndexError, TypeError):
        display, address = "", ""
    angle = _ANGLE_ADDRESS.search(value)
    if angle is not None:  # name-addr: the address is the bracketed one, whatever the name says
        address = angle.group(1)
    address = address.strip().strip("<>").lower()
    if "@" not in address or " " in address:
        match = re.search(r"[\w.+'-]+@[\w.-]+\w", value)
        address = match.group(0).lower() if match else ""
    if address and "@" in address and " " not in address:
        return address, display
    return "", ""


def message_id_of(msg: email.message.Message) -> str:
    """The Message-ID as ``<id>`` (whitespace dropped); long ids hashed; "" if none."""
    value = decode_header_value(_header(msg, "message-id"), limit=4000).strip()
    match = re.search(r"<([^<>]+)>", value)
    ident = re.sub(r"\s+", "", match.group(1) if match else value)
    if not ident:
        return ""
    if len(ident) > 250:
        return "<sha256:" + hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest() + ">"
    return f"<{ident}>"


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as aware UTC, or None when it cannot be read."""
    value = value.strip()
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return _as_utc(when)
    except (ValueError, OverflowError):
        return None


def received_time(msg: email.message.Message) -> datetime | None:
    """When the last mail server took the message (the top ``Received:`` header)."""
    value = decode_header_value(_header(msg, "received"), limit=4000)
    return parse_date(value.rsplit(";", 1)[1]) if ";" in value else None


# -- body ----------------------------------------------------------------------


def _payload_bytes(part: email.message.Message, limit: int) -> bytes:
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        return b""
    data = payload[: limit * 2].encode("ascii", "surrogateescape")
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte == "base64":
        return _b64(data)[:limit]
    if cte == "quoted-printable":
        return quopri.decodestring(data)[:limit]
    return data[:limit]


def _charset(part: email.message.Message) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def first_text(msg: email.message.Message, *, limit: int = BODY_LIMIT) -> str:
    """The first text/plain part that is not an attachment, else stripped text/html."""
    html_part: email.message.Message | None = None
    try:
        parts = list(msg.walk())[:200]
    except (RecursionError, TypeError, AttributeError):
        parts = [msg]
    for part in parts:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = str(part.get("content-disposition", "")).lower()
        if "attachment" in disposition:
            continue
        if ctype == "text/plain":
            return _body_text(_payload_bytes(part, limit), _charset(part)).replace(_NUL, "")
        if ctype == "text/html" and html_part is None:
            html_part = part
    if html_part is not None:
        markup = _body_text(_payload_bytes(html_part, limit), _charset(html_part))
        return strip_html(markup)
    return ""


def _body_text(data: bytes, charset: str | None) -> str:
    """Like ``_bytes_to_text``, but a multibyte character cut at the end is dropped.

    IMAP hands over only the first couple of KB of a part, so the last
    character is often incomplete; that is not worth a replacement character.
    """
    name = _codec(charset)
    if name is None:
        try:
            return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")
    return codecs.getincrementaldecoder(name)(errors="replace").decode(data, final=False)


def strip_html(markup: str) -> str:
    """Readable text from HTML: scripts/styles dropped, blocks to lines, entities decoded."""
    text = _SKIP_HTML.sub(" ", markup)
    text = _BLOCK_HTML.sub("\n", text)
    text = _TAGS.sub("", text)
    return html.unescape(text).replace(_NUL, "")


def first_line(text: str, *, limit: int = MAX_LINE) -> str:
    """The first line a worker wrote: not blank, not quoted, before any quoted reply."""
    for line in text.splitlines()[:500]:
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            continue
        if stripped.startswith(">") or stripped in {"--", "-- "}:
            if stripped.startswith("--"):
                return ""  # signature: nothing written above it
            continue
        if _QUOTE_INTRO.match(stripped):
            return ""
        return one_line(stripped, limit)
    return ""


# -- check-ins -----------------------------------------------------------------


def classify(subject: str, line: str) -> CheckinKind:
    """done / blocked / question / away from keywords (subject first), else checkin."""
    for text in (subject, line):
        for kind, pattern in _KINDS:
            if pattern.search(text):
                return kind
    return "checkin"


def task_of(subject: str) -> str:
    """The subject without "Re:", "Check-in:", "[done]" and similar prefixes."""
    task = subject
    for _ in range(10):
        stripped = _WORD_PREFIX.sub("", _TAG_PREFIX.sub("", _REPLY_PREFIX.sub("", task)))
        if stripped == task:
            break
        task = stripped
    return task.strip()


def summarize(raw: bytes, *, body_limit: int = BODY_LIMIT) -> MailSummary:
    """Sender, Message-ID, subject, dates and first line of a (possibly cut) message."""
    msg = parse_message(raw)
    sender, name = _safe(lambda: sender_of(msg), ("", ""))
    return MailSummary(
        sender=sender,
        sender_name=name,
        message_id=_safe(lambda: message_id_of(msg), ""),
        subject=_safe(
            lambda: one_line(decode_header_value(_header(msg, "subject")), MAX_SUBJECT), ""
        ),
        date=_safe(lambda: parse_date(decode_header_value(_header(msg, "date"), limit=500)), None),
        received=_safe(lambda: received_time(msg), None),
        first_line=_safe(lambda: first_line(first_text(msg, limit=body_limit)), ""),
    )


def _safe(step: Callable[[], T], default: T) -> T:
    """One broken part of a message costs that part only (the email package has surprises)."""
    try:
        return step()
    except Exception:
        return default


def parse_checkin(
    raw: bytes,
    *,
    received_at: datetime | None,
    fallback_key: str,
    now: datetime | None = None,
    body_limit: int = BODY_LIMIT,
) -> CheckIn | None:
    """A ``CheckIn`` from raw message bytes (whole, or headers + a cut first part).

    ``at`` is ``received_at`` (Maildir delivery time / IMAP INTERNALDATE), else
    the Date header, else ``now`` (else the wall clock) — callers always have a
    delivery time, so the last resorts are for hand-made input. The key is the
    Message-ID, else ``fallback_key``. Returns None only when no sender address
    can be found (the caller counts those).
    """
    try:
        mail = summarize(raw, body_limit=body_limit)
    except Exception:  # the email package has surprises; one message must not stop a poll
        return None
    return checkin_from(mail, received_at=received_at, fallback_key=fallback_key, now=now)


def checkin_from(
    mail: MailSummary,
    *,
    received_at: datetime | None,
    fallback_key: str,
    now: datetime | None = None,
) -> CheckIn | None:
    """The ``CheckIn`` for an already summarised message (see ``parse_checkin``)."""
    if not mail.sender:
        return None
    at = received_at or mail.date or now or datetime.now(UTC)
    return CheckIn(
        key=mail.message_id or fallback_key,
        who=mail.sender,
        at=_as_utc(at),
        subject=mail.subject,
        first_line=mail.first_line,
        kind=classify(mail.subject, mail.first_line),
        task=one_line(task_of(mail.subject), MAX_SUBJECT),
    )
