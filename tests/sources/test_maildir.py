"""The maildir source on real Maildirs made with ``mailbox.Maildir``."""

from __future__ import annotations

import json
import mailbox
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from farwatch.sources import maildir as maildir_module
from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.maildir import MaildirSource, name_time, unique_name
from farwatch.sources.registry import load_source_class

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def deliver(box: mailbox.Maildir, raw: bytes | EmailMessage, at: datetime) -> str:
    message = mailbox.MaildirMessage(raw)
    message.set_date(at.timestamp())
    return box.add(message)


def text_mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = subject
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    return msg


@pytest.fixture
def box(tmp_path: Path) -> mailbox.Maildir:
    return mailbox.Maildir(str(tmp_path / "Maildir"), create=True)


def source_for(box: mailbox.Maildir) -> MaildirSource:
    return MaildirSource("mail", {"path": box._path})


def listing(box: mailbox.Maildir) -> list[tuple[str, float]]:
    root = Path(box._path)
    return sorted(
        (str(p.relative_to(root)), p.stat().st_mtime) for p in root.rglob("*") if p.is_file()
    )


def test_a_realistic_mailbox(box: mailbox.Maildir) -> None:
    t0 = NOW - timedelta(hours=3)
    deliver(
        box, text_mail("Ana <ana@x.co>", "Check-in: invoices", "On it.\n", Message_ID="<a1@x>"), t0
    )

    multi = text_mail("ben@x.co", "Re: [done] lead list", "All 200 leads are in.\n")
    multi.add_alternative("<p>All 200 leads are <b>in</b>.</p>", subtype="html")
    multi.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="leads.csv")
    deliver(box, multi, t0 + timedelta(minutes=1))

    qp = (
        b"From: cy@x.co\r\nSubject: =?ISO-8859-1?Q?R=E9sum=E9?=\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nJ'ai fini le r=E9sum=E9\r\n"
    )
    deliver(box, qp, t0 + timedelta(minutes=2))

    sjis = EmailMessage()
    sjis["From"] = "taro@x.jp"
    sjis["Subject"] = "質問: 請求書"
    sjis.set_content("請求書の締め日はいつですか？\n", charset="shift_jis", cte="base64")
    deliver(box, sjis, t0 + timedelta(minutes=3))

    broken = (
        b"From: dee@x.co\r\nSubject: stuck\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%%%garbage\r\n"
    )
    deliver(box, broken, t0 + timedelta(minutes=4))
    deliver(box, b"Subject: who sent this?\r\n\r\nno From header\r\n", t0 + timedelta(minutes=5))
    hostile = b"From: eve@x.co\r\nSubject: [@click=app.quit] [/] \x1b]0;owned\x07\x00\r\n\r\nhi\r\n"
    deliver(box, hostile, t0 + timedelta(minutes=6))

    result = source_for(box).fetch({}, NOW)
    by_who = {c.who: c for c in result.checkins}
    assert sorted(by_who) == [
        "ana@x.co",
        "ben@x.co",
        "cy@x.co",
        "dee@x.co",
        "eve@x.co",
        "taro@x.jp",
    ]
    assert by_who["ana@x.co"].key == "<a1@x>"
    assert by_who["ana@x.co"].at == t0  # delivery time, not the poll time
    assert by_who["ben@x.co"].kind == "done" and by_who["ben@x.co"].task == "lead list"
    assert by_who["ben@x.co"].first_line == "All 200 leads are in."
    assert by_who["cy@x.co"].subject == "Résumé"
    assert by_who["cy@x.co"].first_line == "J'ai fini le résumé"
    assert by_who["taro@x.jp"].subject == "質問: 請求書"
    assert by_who["taro@x.jp"].first_line == "請求書の締め日はいつですか？"
    assert by_who["taro@x.jp"].kind == "question"
    assert by_who["dee@x.co"].kind == "blocked"
    assert by_who["eve@x.co"].subject == "[@click=app.quit] [/] \x1b]0;owned\x07"
    assert by_who["cy@x.co"].key.startswith("maildir:")  # no Message-ID: stable file name
    assert [c.at for c in result.checkins] == sorted(c.at for c in result.checkins)
    assert len(result.warnings) == 1
    assert str(result.warnings[0]).startswith(f"1 message in {box._path} had no sender address")
    json.dumps(result.cursor)  # the cursor is stored in the cache as JSON


def test_incremental_and_read_only(box: mailbox.Maildir) -> None:
    deliver(box, text_mail("a@x.co", "one", "1"), NOW - timedelta(hours=2))
    source = source_for(box)
    before = listing(box)
    first = source.fetch({}, NOW)
    assert len(first.checkins) == 1
    assert listing(box) == before  # nothing moved, renamed or touched

    again = source.fetch(first.cursor, NOW)
    assert again.checkins == [] and again.unchanged

    # delivered later but with an OLDER delivery time (a sync tool kept the old date)
    deliver(box, text_mail("b@x.co", "two", "2"), NOW - timedelta(days=5))
    third = source.fetch(again.cursor, NOW)
    assert [c.who for c in third.checkins] == ["b@x.co"]
    assert third.checkins[0].at == NOW - timedelta(days=5)


def test_read_mail_moving_to_cur_is_not_reported_twice(box: mailbox.Maildir) -> None:
    key = deliver(box, text_mail("a@x.co", "hello", "hi"), NOW - timedelta(hours=1))
    source = source_for(box)
    first = source.fetch({}, NOW)
    assert len(first.checkins) == 1
    # a mail client reads it: new/ -> cur/ with flags
    message = box[key]
    message.set_subdir("cur")
    message.add_flag("S")
    box[key] = message
    assert list(Path(box._path, "new").iterdir()) == []
    again = source.fetch(first.cursor, NOW)
    assert again.checkins == []


def test_deleted_messages_leave_the_cursor(box: mailbox.Maildir) -> None:
    keys = [deliver(box, text_mail(f"w{i}@x.co", "s", "b"), NOW) for i in range(3)]
    source = source_for(box)
    first = source.fetch({}, NOW)
    box.remove(keys[0])
    second = source.fetch(first.cursor, NOW)
    assert len(second.cursor["seen"]) < len(first.cursor["seen"])
    assert second.checkins == []


def test_late_synced_mail_uses_the_received_header(box: mailbox.Maildir) -> None:
    raw = (
        b"Received: from mx by imap.example.com; Mon, 3 Mar 2025 02:00:00 +0000\r\n"
        b"From: a@x.co\r\nSubject: early\r\n\r\nhi\r\n"
    )
    deliver(box, raw, NOW)  # mbsync fetched it at noon; the server had it at 02:00
    (got,) = source_for(box).fetch({}, NOW).checkins
    assert got.at == datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def test_five_thousand_messages_then_a_cheap_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "big"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    base = int(NOW.timestamp()) - 86400
    for i in range(5000):
        name = f"{base + i}.M{i}P1.host:2,S"
        (root / "cur" / name).write_bytes(
            f"From: w{i % 50}@x.co\r\nMessage-ID: <m{i}@x>\r\n"
            f"Subject: task {i}\r\n\r\nworking\r\n".encode()
        )
    source = MaildirSource("mail", {"path": str(root)})
    first = source.fetch({}, NOW)
    assert len(first.checkins) == 5000
    assert len(json.dumps(first.cursor)) < 100_000

    parsed: list[bytes] = []
    real = maildir_module.summarize
    monkeypatch.setattr(maildir_module, "summarize", lambda raw: parsed.append(raw) or real(raw))
    (root / "new" / f"{base + 9999}.Mnew.host").write_bytes(b"From: late@x.co\r\n\r\nhi\r\n")
    second = source.fetch(first.cursor, NOW)
    assert [c.who for c in second.checkins] == ["late@x.co"]
    # Only the new file was opened and parsed: the cheapness, counted not timed
    # (timings on a shared machine are noise; bench/ measures time).
    assert len(parsed) == 1


def test_missing_folder_and_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        MaildirSource("mail", {"path": str(tmp_path / "nope")}).fetch({}, NOW)
    assert info.value.kind == "file"
    assert info.value.message == f"mail: Maildir {tmp_path / 'nope'} does not exist"
    advice = explain(info.value)
    assert "check the path" in advice and "network" not in advice
    with pytest.raises(SourceError) as info:
        MaildirSource("mail", {"path": str(tmp_path)}).fetch({}, NOW)
    assert info.value.kind == "file" and "is not a Maildir" in info.value.message
    with pytest.raises(SourceError) as info:
        MaildirSource("mail", {}).fetch({}, NOW)
    assert info.value.kind == "config" and "no path configured" in info.value.message


def test_file_names() -> None:
    assert unique_name("1700000000.M1P2.host:2,S") == "1700000000.M1P2.host"
    assert unique_name("1700000000.M1P2.host") == "1700000000.M1P2.host"
    assert name_time("1700000000.M1P2.host:2,S") == datetime.fromtimestamp(1700000000, UTC)
    assert name_time("1700000000_0.123.host,U=1:2,") == datetime.fromtimestamp(1700000000, UTC)
    assert name_time("notatime.host") is None


def test_impossible_mtime_falls_back_to_the_name(box: mailbox.Maildir) -> None:
    deliver(box, text_mail("a@x.co", "s", "b"), NOW)
    (path,) = Path(box._path, "new").iterdir()
    renamed = path.with_name(f"{int((NOW - timedelta(hours=5)).timestamp())}.M1P1.host")
    path.rename(renamed)
    os.utime(renamed, (0, 0))
    (got,) = source_for(box).fetch({}, NOW).checkins
    assert got.at == NOW - timedelta(hours=5)


def test_registered_as_the_maildir_entry_point() -> None:
    assert load_source_class("maildir") is MaildirSource


def test_the_senderless_count_agrees_in_number(box: mailbox.Maildir) -> None:
    deliver(box, b"Subject: who?\r\n\r\nno From header\r\n", NOW - timedelta(hours=2))
    first = source_for(box).fetch({}, NOW)
    assert [str(w) for w in first.warnings] == [
        f"1 message in {box._path} had no sender address and was skipped (e.g. {_only_entry(box)})"
    ]
    deliver(box, b"Subject: and who?\r\n\r\nstill none\r\n", NOW - timedelta(hours=1))
    again = source_for(box).fetch(first.cursor, NOW)
    assert [str(w).split(" (e.g.")[0] for w in again.warnings] == [
        f"2 messages in {box._path} had no sender address and were skipped"
    ]


def _only_entry(box: mailbox.Maildir) -> str:
    (entry,) = [f"{d.name}/{f.name}" for d in Path(box._path).iterdir() for f in d.iterdir()]
    return entry
