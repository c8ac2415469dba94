"""Check-in emails in every charset and state of repair become CheckIns, never crashes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farwatch.sources.mailparse import (
    classify,
    decode_header_value,
    first_line,
    parse_checkin,
    summarize,
    task_of,
)

RECEIVED = datetime(2025, 3, 3, 1, 30, tzinfo=UTC)


def checkin(raw: bytes, received_at: datetime | None = RECEIVED):  # type: ignore[no-untyped-def]
    return parse_checkin(raw, received_at=received_at, fallback_key="fallback-1")


def test_plain_checkin() -> None:
    raw = (
        b"From: Ana Reyes <ANA.Reyes@Example.COM>\r\n"
        b"To: owner@example.com\r\n"
        b"Subject: Check-in: invoices for March\r\n"
        b"Message-ID:  <m1@mail.example.com> \r\n"
        b"Date: Mon, 03 Mar 2025 09:15:00 +0800\r\n\r\n"
        b"\r\nStarting the March invoices now.\r\nThanks\r\n"
    )
    got = checkin(raw)
    assert got is not None
    assert got.who == "ana.reyes@example.com"
    assert got.key == "<m1@mail.example.com>"
    assert got.at == RECEIVED
    assert got.subject == "Check-in: invoices for March"
    assert got.task == "invoices for March"
    assert got.first_line == "Starting the March invoices now."
    assert got.kind == "checkin"


def test_date_header_is_the_fallback_time_and_key_falls_back() -> None:
    raw = b"From: a@x.co\r\nDate: Mon, 03 Mar 2025 09:15:00 +0800\r\nSubject: hi\r\n\r\nbody"
    got = checkin(raw, received_at=None)
    assert got is not None
    assert got.at == datetime(2025, 3, 3, 1, 15, tzinfo=UTC)
    assert got.key == "fallback-1"


def test_no_date_at_all_uses_now() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    got = parse_checkin(b"From: a@x.co\r\n\r\nhi", received_at=None, fallback_key="k", now=now)
    assert got is not None and got.at == now


def test_no_sender_is_none() -> None:
    assert checkin(b"Subject: who am I\r\n\r\nnobody") is None
    assert checkin(b"From: undisclosed-recipients:;\r\nSubject: x\r\n\r\n") is None
    assert checkin(b"") is None


def test_sender_falls_back_to_reply_to_and_bare_addresses() -> None:
    got = checkin(b"From: Ana (no address)\r\nReply-To: <ana@x.co>\r\n\r\nhi")
    assert got is not None and got.who == "ana@x.co"
    got = checkin(b"From: ana at work ana@x.co\r\n\r\nhi")
    assert got is not None and got.who == "ana@x.co"


def test_a_display_name_that_decodes_to_an_address_never_becomes_the_sender() -> None:
    """A check-in belongs to the address in brackets, never to one a name spells out."""
    got = checkin(b"From: =?utf-8?q?ana=40example=2Ecom?= <diego@other.example>\r\n\r\nhi")
    assert got is not None and got.who == "diego@other.example"
    got = checkin(b"From: ana@example.com <diego@other.example>\r\n\r\nhi")
    assert got is not None and got.who == "diego@other.example"
    named = summarize(b"From: =?utf-8?b?Sm9zw6k=?= <Jose@X.example>\r\n\r\nhi")
    assert (named.sender, named.sender_name) == ("jose@x.example", "Jos\u00e9")
    # a mailer that encodes the whole field is still read
    got = checkin(b"From: =?utf-8?q?ana=40example=2Ecom?=\r\n\r\nhi")
    assert got is not None and got.who == "ana@example.com"


def test_encoded_subjects_in_many_charsets() -> None:
    assert decode_header_value("=?ISO-8859-1?Q?Caf=E9_=E0_Paris?=") == "Café à Paris"
    assert decode_header_value("=?utf-8?B?0JfQstGW0YIg0LPQvtGC0L7QstC40Lk=?=") == "Звіт готовий"
    sjis = base64.b64encode("完了しました".encode("shift_jis")).decode()
    assert decode_header_value(f"=?Shift_JIS?B?{sjis}?=") == "完了しました"
    # a multibyte character split across two encoded words
    data = "進捗報告".encode()
    a, b = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    assert decode_header_value(f"=?UTF-8?B?{a}?= =?UTF-8?B?{b}?=") == "進捗報告"
    assert decode_header_value("Re: =?utf-8?q?done?= today") == "Re: done today"


def test_unknown_charset_is_best_effort() -> None:
    assert decode_header_value("=?x-martian?Q?caf=C3=A9?=") == "café"
    assert decode_header_value("=?x-martian?Q?caf=E9?=") == "caf\ufffd"


def test_raw_8bit_headers() -> None:
    got = checkin("From: José <jose@x.co>\r\nSubject: Relatório pronto\r\n\r\nok".encode())
    assert got is not None and got.subject == "Relatório pronto"
    got = checkin("From: j@x.co\r\nSubject: Café\r\n\r\nok".encode("latin-1"))
    assert got is not None and got.subject == "Café"


def test_quoted_printable_base64_and_charsets_in_the_body() -> None:
    msg = EmailMessage()
    msg["From"] = "kyiv@x.co"
    msg["Subject"] = "update"
    msg.set_content("Працюю над звітом\n", charset="koi8-u", cte="base64")
    got = checkin(msg.as_bytes())
    assert got is not None and got.first_line == "Працюю над звітом"

    raw = (
        b"From: a@x.co\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"R=E9sum=E9 of the =\r\nday is done\r\n"
    )
    got = checkin(raw)
    assert got is not None and got.first_line == "Résumé of the day is done"
    assert got.kind == "done"


def test_multipart_takes_the_first_text_part_not_attachments() -> None:
    msg = EmailMessage()
    msg["From"] = "a@x.co"
    msg["Subject"] = "report"
    msg.set_content("Sending the weekly report.\n")
    msg.add_alternative("<p>Sending the <b>weekly</b> report.</p>", subtype="html")
    msg.add_attachment(b"col\n1\n", maintype="text", subtype="csv", filename="r.csv")
    got = checkin(msg.as_bytes())
    assert got is not None and got.first_line == "Sending the weekly report."


def test_html_only_is_stripped() -> None:
    raw = (
        b"From: a@x.co\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body>"
        b"<p>Stuck on the &quot;2FA&quot; step</p><p>second</p></body></html>"
    )
    got = checkin(raw)
    assert got is not None
    assert got.first_line == 'Stuck on the "2FA" step' and got.kind == "blocked"


def test_truncated_base64_part_still_gives_its_first_line() -> None:
    """IMAP fetches only the first ~2 KB: the base64 and the last character are cut."""
    body = base64.b64encode(("今日のタスク: 請求書の入力\n" * 200).encode("shift_jis"))
    raw = (
        b"From: taro@x.jp\r\nSubject: =?UTF-8?B?"
        + base64.b64encode("作業中".encode())
        + b"?=\r\nContent-Type: text/plain; charset=Shift_JIS\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body[:2047]
    )
    got = checkin(raw)
    assert got is not None
    assert got.subject == "作業中"
    assert got.first_line == "今日のタスク: 請求書の入力"


def test_broken_mime_is_best_effort() -> None:
    raw = (
        b"From: a@x.co\r\nSubject: broken\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain; charset=bogus-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all===\r\n"
    )
    got = checkin(raw)
    assert got is not None and got.who == "a@x.co" and got.subject == "broken"


def test_first_line_skips_quotes_and_stops_at_reply_history() -> None:
    assert first_line("\n\n> quoted\n>> more\n  Real words  \n") == "Real words"
    assert first_line("On Mon, Ana wrote:\n> hi\n") == ""
    assert first_line("-- \nsignature") == ""
    assert first_line("x" * 2000).endswith("…") and len(first_line("x" * 2000)) == 500


@pytest.mark.parametrize(
    ("subject", "line", "kind"),
    [
        ("[done] invoices", "", "done"),
        ("Finished the import", "", "done"),
        ("Re: invoices", "Completed all of them.", "done"),
        ("not done yet", "", "checkin"),
        ("Blocked: VPN", "", "blocked"),
        ("update", "I'm stuck on the login page", "blocked"),
        ("Question about rates", "", "question"),
        ("Re: rates", "Can I bill travel?", "question"),
        ("Lunch", "", "away"),
        ("signing off for today", "", "away"),
        ("update", "back on it after my break", "away"),
        ("Working on invoices", "Halfway through.", "checkin"),
    ],
)
def test_kind_from_keywords(subject: str, line: str, kind: str) -> None:
    assert classify(subject, line) == kind


@pytest.mark.parametrize(
    ("subject", "task"),
    [
        ("Re: Check-in: invoices", "invoices"),
        ("RE: Fwd: [done] data entry batch 7", "data entry batch 7"),
        ("AW: Update - lead list", "lead list"),
        ("Re[2]: status: research", "research"),
        ("Plain task", "Plain task"),
        ("[@click=app.quit]", "[@click=app.quit]"),
    ],
)
def test_task_is_the_subject_without_prefixes(subject: str, task: str) -> None:
    assert task_of(subject) == task


def test_hostile_subject_is_kept_as_text_but_nuls_go() -> None:
    raw = (
        b"From: evil@x.co\r\nSubject: [@click=app.quit] [/] \x1b]0;owned\x07 \x1b[31mred\x00!\r\n"
        b"Message-ID: <evil@x>\r\n\r\n[bold]hi[/bold]\x00\r\n"
    )
    got = checkin(raw)
    assert got is not None
    assert got.subject == "[@click=app.quit] [/] \x1b]0;owned\x07 \x1b[31mred!"
    assert got.first_line == "[bold]hi[/bold]"
    assert "\x00" not in got.subject + got.first_line + got.task


def test_megabyte_subject_is_cut() -> None:
    raw = b"From: a@x.co\r\nSubject: " + b"A" * 1_000_000 + b"\r\n\r\nbody line\r\n"
    got = checkin(raw)
    assert got is not None
    assert len(got.subject) == 300 and got.subject.endswith("…")
    assert got.first_line == "body line"


def test_long_message_ids_are_hashed_and_stable() -> None:
    raw = b"From: a@x.co\r\nMessage-ID: <" + b"x" * 5000 + b"@y>\r\n\r\n"
    key = summarize(raw).message_id
    assert key.startswith("<sha256:") and len(key) < 80
    assert summarize(raw).message_id == key


def test_received_header_time() -> None:
    raw = (
        b"Received: from mx.example.com by imap.example.com; Mon, 3 Mar 2025 10:00:00 +0000\r\n"
        b"Received: from sender; Mon, 3 Mar 2025 09:59:00 +0000\r\nFrom: a@x.co\r\n\r\n"
    )
    assert summarize(raw).received == datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def test_naive_received_at_is_taken_as_utc() -> None:
    got = checkin(b"From: a@x.co\r\n\r\n", received_at=datetime(2025, 3, 3, 1, 0))
    assert got is not None and got.at.utcoffset() == timedelta(0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    got = parse_checkin(raw, received_at=RECEIVED, fallback_key="k")
    if got is not None:
        assert got.who and "\x00" not in got.subject + got.first_line


HEADER_PARTS = st.sampled_from(
    [
        b"From: a@x.co\r\n",
        b"From: =?utf-8?B?broken\r\n",
        b"Subject: =?iso-8859-1?q?caf=E9?=\r\n",
        b"Subject: =?unknown?B?////?=\r\n",
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: text/plain; charset=utf-7\r\n",
        b"Content-Type: text/html; charset*=us-ascii''x\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Message-ID: <\r\n",
        b"Date: Tue, 99 Foo 2025 99:99:99 +9999\r\n",
        b" folded continuation\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"=E9=\r\n",
        b"SGVsbG8=\r\n",
        b"\xff\xfe\x00\x1b[31m\r\n",
        b"<p>hi</p>\r\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(HEADER_PARTS, max_size=25))
def test_mime_shaped_garbage_never_raises(parts: list[bytes]) -> None:
    parse_checkin(b"".join(parts), received_at=None, fallback_key="k")
