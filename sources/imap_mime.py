"""Pick the first text part from an IMAP BODYSTRUCTURE and rebuild a small message.

The IMAP source fetches only the headers and the first couple of KB of one
part (never attachments), so the part's own Content-Type charset and
Content-Transfer-Encoding come from BODYSTRUCTURE, not from the bytes. To let
``farwatch.sources.mailparse`` decode it like any message, we glue the message
headers to synthetic part headers and the partial body. Everything here is best
effort: a structure we cannot read yields ``None`` (headers-only check-in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DROP_HEADERS = re.compile(
    rb"^(content-type|content-transfer-encoding|mime-version|content-disposition)\s*:",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TextPart:
    """Where the first readable text part is and how it is encoded."""

    section: str
    subtype: str
    charset: str
    encoding: str


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, str):
        return value
    return ""


def _params(value: Any) -> dict[str, str]:
    """BODYSTRUCTURE parameter lists are flat ``(key, value, key, value)`` tuples."""
    out: dict[str, str] = {}
    if isinstance(value, tuple | list):
        items = list(value)
        for i in range(0, len(items) - 1, 2):
            out[_text(items[i]).lower()] = _text(items[i + 1])
    return out


def _is_attachment(part: Any) -> bool:
    """A text part with Content-Disposition: attachment is not the message body."""
    # text parts: type, subtype, params, id, desc, encoding, size, lines, md5, disposition
    for candidate in part[8:11] if len(part) > 8 else ():
        if (
            isinstance(candidate, tuple)
            and candidate
            and _text(candidate[0]).lower() == ("attachment")
        ):
            return True
    return False


def _walk(node: Any, prefix: str, found: list[tuple[str, Any]]) -> None:
    if not isinstance(node, tuple | list) or not node:
        return
    if isinstance(node[0], list):  # multipart: children first, then the subtype
        for index, child in enumerate(node[0], start=1):
            _walk(child, f"{prefix}.{index}" if prefix else str(index), found)
        return
    found.append((prefix or "1", node))


def first_text_part(structure: Any) -> TextPart | None:
    """The first text/plain part (else the first text/html), skipping attachments."""
    leaves: list[tuple[str, Any]] = []
    try:
        _walk(structure, "", leaves)
    except (TypeError, IndexError, ValueError):
        return None
    best: TextPart | None = None
    for section, part in leaves:
        if len(part) < 6 or _text(part[0]).lower() != "text" or _is_attachment(part):
            continue
        subtype = _text(part[1]).lower() or "plain"
        info = TextPart(
            section=section,
            subtype=subtype,
            charset=_params(part[2]).get("charset", "us-ascii") or "us-ascii",
            encoding=_text(part[5]).lower() or "7bit",
        )
        if subtype == "plain":
            return info
        if best is None and subtype == "html":
            best = info
    return best


def _trim_base64(body: bytes) -> bytes:
    """A partial base64 body may stop mid-quantum; keep whole 4-char groups."""
    compact = re.sub(rb"[^A-Za-z0-9+/=]", b"", body)
    return compact[: len(compact) // 4 * 4]


def synthetic_message(headers: bytes, part: TextPart | None, body: bytes) -> bytes:
    """Message headers + the part's content headers + its (partial) body.

    Never raises: a part that cannot be described (odd bytes in its
    BODYSTRUCTURE) gives the headers-only message, so the check-in is kept
    without its first line.
    """
    lines = headers.replace(b"\r\n", b"\n").split(b"\n")
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = bool(_DROP_HEADERS.match(line))
        if not skipping:
            kept.append(line)
    if part is not None:
        try:
            content, body = _part_headers(part, body)
        except Exception:  # best effort: the headers alone still make a check-in
            pass
        else:
            return b"\r\n".join(kept + content) + b"\r\n\r\n" + body
    kept += [b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=us-ascii"]
    return b"\r\n".join(kept) + b"\r\n\r\n"


def _part_headers(part: TextPart, body: bytes) -> tuple[list[bytes], bytes]:
    """The synthetic Content-* headers for ``part``, and its body ready to decode."""
    encoding = part.encoding if part.encoding in {"base64", "quoted-printable"} else "8bit"
    if encoding == "base64":
        body = _trim_base64(body)
    charset = re.sub(r"[^A-Za-z0-9_.:-]", "", part.charset) or "us-ascii"
    # Only html needs its tags stripped; any other text/* subtype reads as plain.
    subtype = "html" if part.subtype.strip().lower() == "html" else "plain"
    headers = [
        b"MIME-Version: 1.0",
        f'Content-Type: text/{subtype}; charset="{charset}"'.encode("ascii"),
        f"Content-Transfer-Encoding: {encoding}".encode("ascii"),
    ]
    return headers, body
