"""The imap source against a real IMAP server on 127.0.0.1 (dovecot or pymap)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.imap import ImapSource
from tests.servers.imap import PASSWORD, HangingServer, ImapServer, free_port

NOW = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)


def plain(sender: str, subject: str, body: str, msgid: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "owner@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 11 Mar 2025 13:05:00 +0000"
    if msgid:
        msg["Message-ID"] = msgid
    msg.set_content(body)
    return msg.as_bytes()


def with_attachment(sender: str, subject: str, body: str, msgid: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = subject
    msg["Message-ID"] = msgid
    msg.set_content(body, charset="iso-8859-1", cte="base64")
    msg.add_alternative(f"<p>{body}</p>", subtype="html")
    msg.add_attachment(
        b"ATTACHMENT-BYTES" * 4096,
        maintype="application",
        subtype="octet-stream",
        filename="big.bin",
    )
    return msg.as_bytes()


def folder_for(server: ImapServer) -> str:
    name = f"fw-{uuid.uuid4().hex[:10]}"
    server.create_folder(name)
    return name


def source(server: ImapServer, **options: Any) -> ImapSource:
    return ImapSource("mail", server.source_options(**options))


def test_first_sync_reads_every_checkin(imap_server: ImapServer, imap_password: str) -> None:
    folder = folder_for(imap_server)
    imap_server.deliver(
        plain("Ana <ana@example.com>", "Inbox triage done", "Cleared 40 emails.", "<a1@x>"),
        with_attachment("bo@example.com", "Réunion notes", "Café résumé ready", "<b1@x>"),
        folder=folder,
    )
    src = source(imap_server, folder=folder)
    try:
        result = src.fetch({}, NOW)
    finally:
        src.close()
    by_subject = {c.subject: c for c in result.checkins}
    assert set(by_subject) == {"Inbox triage done", "Réunion notes"}
    assert by_subject["Inbox triage done"].who == "ana@example.com"
    assert (
        by_subject["Inbox triage done"].key.endswith("a1@x")
        or "a1@x" in by_subject["Inbox triage done"].key
    )
    # the base64, latin-1 text part is decoded; the attachment is not the body
    assert "Café résumé ready" in by_subject["Réunion notes"].first_line
    state = result.cursor["folders"][folder]
    assert state["last_uid"] >= 2 and state["uidvalidity"] == imap_server.uidvalidity(folder)


def test_incremental_poll_returns_only_new_mail(
    imap_server: ImapServer, imap_password: str
) -> None:
    folder = folder_for(imap_server)
    imap_server.deliver(plain("ana@example.com", "one", "first", "<i1@x>"), folder=folder)
    src = source(imap_server, folder=folder)
    try:
        first = src.fetch({}, NOW)
        imap_server.deliver(
            plain("ana@example.com", "two", "second", "<i2@x>"),
            plain("bo@example.com", "three", "third", "<i3@x>"),
            folder=folder,
        )
        second = src.fetch(first.cursor, NOW)
        third = src.fetch(second.cursor, NOW)
    finally:
        src.close()
    assert [c.subject for c in first.checkins] == ["one"]
    assert sorted(c.subject for c in second.checkins) == ["three", "two"]
    assert third.checkins == [] and third.unchanged
    assert third.cursor == second.cursor


def test_mail_stays_unread(imap_server: ImapServer, imap_password: str) -> None:
    folder = folder_for(imap_server)
    imap_server.deliver(
        plain("ana@example.com", "status", "working on invoices", "<u1@x>"),
        with_attachment("bo@example.com", "report", "see attached", "<u2@x>"),
        folder=folder,
    )
    src = source(imap_server, folder=folder)
    try:
        assert len(src.fetch({}, NOW).checkins) == 2
    finally:
        src.close()
    flags = imap_server.flags(folder)
    assert len(flags) == 2
    assert all("\\Seen" not in f for f in flags.values()), flags


def test_uidvalidity_change_resyncs_without_duplicates(
    imap_server: ImapServer, imap_password: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = folder_for(imap_server)
    old = [plain("ana@example.com", f"m{i}", f"body {i}", f"<r{i}@x>") for i in range(2)]
    imap_server.deliver(*old, folder=folder)
    src = source(imap_server, folder=folder)
    try:
        first = src.fetch({}, NOW)
        before = imap_server.uidvalidity(folder)
        imap_server.recreate_folder(folder)
        assert imap_server.uidvalidity(folder) != before
        imap_server.deliver(*old, plain("ana@example.com", "m2", "new", "<r2@x>"), folder=folder)
        second = src.fetch(first.cursor, NOW)
    finally:
        src.close()
    assert any("UIDVALIDITY" in w for w in second.warnings)
    first_keys = {c.key for c in first.checkins}
    second_keys = {c.key for c in second.checkins}
    assert first_keys < second_keys  # the same check-ins keep their keys: the cache dedupes
    assert len(first_keys | second_keys) == 3
    assert second.cursor["folders"][folder]["uidvalidity"] == imap_server.uidvalidity(folder)


def test_message_without_message_id_keeps_a_stable_key(
    imap_server: ImapServer, imap_password: str
) -> None:
    folder = folder_for(imap_server)
    broken = (
        b"From: ana@example.com\r\nSubject: no id\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"no boundary at all \xff\xfe garbage\r\n"
    )
    imap_server.deliver(broken, plain("bo@example.com", "fine", "ok", "<k1@x>"), folder=folder)
    src = source(imap_server, folder=folder)
    try:
        a = src.fetch({}, NOW)
        b = src.fetch({}, NOW)
    finally:
        src.close()
    assert "fine" in {c.subject for c in a.checkins}
    assert sorted(c.key for c in a.checkins) == sorted(c.key for c in b.checkins)


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_tls_with_the_ca_from_config(imap_server: ImapServer, imap_password: str, tls: str) -> None:
    folder = folder_for(imap_server)
    imap_server.deliver(plain("ana@example.com", "secure", "over tls", "<t1@x>"), folder=folder)
    port = imap_server.ssl_port if tls == "ssl" else imap_server.port
    src = source(imap_server, folder=folder, tls=tls, port=port)
    try:
        result = src.fetch({}, NOW)
    finally:
        src.close()
    assert [c.subject for c in result.checkins] == ["secure"]
    assert result.warnings == []


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_tls_without_the_ca_is_refused(
    imap_server: ImapServer, imap_password: str, tls: str
) -> None:
    port = imap_server.ssl_port if tls == "ssl" else imap_server.port
    src = source(imap_server, tls=tls, port=port, ca_file=None)
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    src.close()
    assert info.value.kind == "tls"
    assert not info.value.retryable
    assert "certificate" in info.value.message


def test_plain_imap_warns_loudly_unless_loopback(caplog: pytest.LogCaptureFixture) -> None:
    options = {"host": "imap.example.com", "username": "u", "password_env": "X", "tls": "none"}
    with caplog.at_level(logging.WARNING):
        remote = ImapSource("mail", options)
    assert remote.port == 143
    assert any("UNENCRYPTED" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ImapSource("mail", {**options, "host": "127.0.0.1"})
    assert not caplog.records
    assert ImapSource("mail", {**options, "tls": "ssl"}).port == 993


def test_plain_imap_on_loopback_works(imap_server: ImapServer, imap_password: str) -> None:
    folder = folder_for(imap_server)
    imap_server.deliver(plain("ana@example.com", "plain", "text", "<p1@x>"), folder=folder)
    src = source(imap_server, folder=folder, tls="none", port=imap_server.port, ca_file=None)
    try:
        result = src.fetch({}, NOW)
    finally:
        src.close()
    assert [c.subject for c in result.checkins] == ["plain"] and result.warnings == []


def test_wrong_password_is_an_auth_error_not_retried(
    fresh_imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a server of its own: a failed login slows later logins from the same address
    monkeypatch.setenv("FARWATCH_TEST_IMAP_PW", "wrong-horse-battery")
    src = source(fresh_imap_server)
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    assert info.value.kind == "auth" and not info.value.retryable
    server = fresh_imap_server
    assert f"login failed for {server.user} on {server.host}" in info.value.message
    assert "wrong-horse-battery" not in info.value.message
    assert PASSWORD not in info.value.message


def test_missing_password_variable_names_the_variable(imap_server: ImapServer) -> None:
    src = source(imap_server)
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    assert info.value.kind == "auth" and "FARWATCH_TEST_IMAP_PW" in info.value.message


def test_missing_folder_is_reported(imap_server: ImapServer, imap_password: str) -> None:
    src = source(imap_server, folder="No/Such/Folder")
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    src.close()
    assert info.value.kind == "not_found" and "No/Such/Folder" in info.value.message


def test_nothing_listening_is_refused() -> None:
    port = free_port()
    src = ImapSource(
        "mail",
        {
            "host": "127.0.0.1",
            "port": port,
            "username": "u",
            "password_env": "FARWATCH_TEST_IMAP_PW",
            "tls": "none",
        },
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FARWATCH_TEST_IMAP_PW", "x")
        with pytest.raises(SourceError) as info:
            src.fetch({}, NOW)
    assert info.value.kind == "refused" and info.value.retryable


def test_server_killed_mid_poll(fresh_imap_server: ImapServer, imap_password: str) -> None:
    server = fresh_imap_server
    server.deliver(*[plain("ana@example.com", f"n{i}", "x", f"<k{i}@x>") for i in range(30)])

    class SmallBatches(ImapSource):
        batch_size = 5

    src = SmallBatches("mail", server.source_options())
    calls = 0
    original = SmallBatches._fetch_batch

    def killing_batch(self: ImapSource, client: Any, uids: list[int]) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            server.kill()
        return original(self, client, uids)

    SmallBatches._fetch_batch = killing_batch  # type: ignore[method-assign]
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    assert time.monotonic() - started < 15
    assert info.value.kind in ("io", "refused") and info.value.retryable
    # the next poll finds nothing listening: a clean error again, not a hang or a crash
    with pytest.raises(SourceError) as again:
        src.fetch({}, NOW)
    assert again.value.kind in ("refused", "io") and again.value.retryable
    src.close()


def test_server_that_never_answers_times_out(
    hanging_server: HangingServer, imap_password: str
) -> None:
    src = ImapSource(
        "mail",
        {
            "host": "127.0.0.1",
            "port": hanging_server.port,
            "username": "u",
            "password_env": "FARWATCH_TEST_IMAP_PW",
            "tls": "none",
            "timeout": 1.0,
        },
    )
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    elapsed = time.monotonic() - started
    assert info.value.kind == "timeout" and info.value.retryable
    assert elapsed < 4.0


def test_idle_wakes_when_mail_arrives(imap_server: ImapServer, imap_password: str) -> None:
    folder = folder_for(imap_server)
    src = source(imap_server, folder=folder, idle=True)
    try:
        assert src.idle_supported()
        timer = threading.Timer(
            0.5,
            imap_server.deliver,
            args=(plain("ana@example.com", "ping", "x", "<w1@x>"),),
            kwargs={"folder": folder},
        )
        started = time.monotonic()
        timer.start()
        woke = src.wait_for_change(15)
        timer.join()
        assert woke and time.monotonic() - started < 10
        assert [c.subject for c in src.fetch({}, NOW).checkins] == ["ping"]
    finally:
        src.close()


def test_without_idle_wait_for_change_is_a_plain_wait(imap_server: ImapServer) -> None:
    src = source(imap_server, idle=False)
    started = time.monotonic()
    assert src.wait_for_change(0.3) is False
    assert 0.25 <= time.monotonic() - started < 3
