"""The small message rebuilt from an IMAP part never fails on odd BODYSTRUCTUREs."""

from __future__ import annotations

from farwatch.sources.imap_mime import TextPart, synthetic_message
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
