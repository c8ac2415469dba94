"""The small message rebuilt from an IMAP part never fails on odd BODYSTRUCTUREs."""

from __future__ import annotations

import pytest

from farwatch.sources import imap_read
from farwatch.sources.imap_mime import TextPart, first_text_part, synthetic_message
from farwatch.sources.mailparse import parse_checkin

HEADERS = (
    b"From: Ana <ana@example.com>\r\nSubject: Check-in: invoices\r\nMessage-ID: <1@example.com>\r\n"
)


def test_a_non_ascii_subtype_still_gives_a_checkin_with_its_text() -> None:
    part = TextPart(section="1", subtype="pl\u00e4in", charset="utf-8", encoding="7bit")
    raw = synthetic_message(HEADERS, part, b"Reconciled March, starting April.\r\n")
    checkin = parse_checkin(raw, received_at=None, fallback_key="uid:1")
    assert checkin is not None
    assert checkin.who == "ana@example.com"
    assert checkin.subject == "Check-in: invoices"
    assert checkin.first_line == "Reconciled March, starting April."


def test_non_ascii_bytes_in_a_bodystructure_still_give_a_checkin() -> None:
    structure = (
        b"text",
        b"pl\xe4in",
        (b"ch\xe4rset", b"utf-\xe98", b"name", b"\xff\xfe"),
        None,
        None,
        b"7b\xefit",
        120,
        3,
    )
    part = first_text_part(structure)
    raw = synthetic_message(HEADERS, part, b"Reconciled March.\r\n")
    checkin = parse_checkin(raw, received_at=None, fallback_key="uid:1")
    assert checkin is not None
    assert (checkin.who, checkin.subject) == ("ana@example.com", "Check-in: invoices")


@pytest.mark.parametrize(
    "part",
    [
        TextPart(section="1", subtype=None, charset="utf-8", encoding="7bit"),  # type: ignore[arg-type]
        TextPart(section="1", subtype="plain", charset=b"\xe9", encoding="7bit"),  # type: ignore[arg-type]
        TextPart(section="1", subtype="plain", charset="utf-8", encoding=7),  # type: ignore[arg-type]
    ],
)
def test_a_part_that_cannot_be_described_falls_back_to_headers_only(part: TextPart) -> None:
    raw = synthetic_message(HEADERS, part, b"body")
    checkin = parse_checkin(raw, received_at=None, fallback_key="uid:1")
    assert checkin is not None
    assert (checkin.who, checkin.subject) == ("ana@example.com", "Check-in: invoices")


def test_the_imap_source_keeps_a_message_whose_part_breaks_as_headers_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = imap_read.synthetic_message

    def failing(headers: bytes, part: TextPart | None, body: bytes) -> bytes:
        if part is not None:
            raise UnicodeEncodeError("ascii", "\u00e4", 0, 1, "ordinal not in range")
        return real(headers, part, body)

    monkeypatch.setattr(imap_read, "synthetic_message", failing)
    part = TextPart(section="1", subtype="plain", charset="utf-8", encoding="7bit")
    mail = imap_read._summary(HEADERS, part, b"Reconciled March.\r\n")
    assert (mail.sender, mail.subject, mail.first_line) == (
        "ana@example.com",
        "Check-in: invoices",
        "",
    )
