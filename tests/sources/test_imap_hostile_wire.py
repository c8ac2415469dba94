"""A hostile IMAP server meets the wire: the password never leaks, never injects, never chokes.

Every test runs farwatch's imap source against ``ScriptedImap`` on 127.0.0.1,
set to misbehave the way real servers were seen to: NO answers that repeat
the LOGIN line, headers of 20 MB, a refused STARTTLS, answers that cannot be
parsed.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.imap import ImapSource
from tests.servers.imap import ScriptedImap

NOW = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)
# quotes and backslashes travel escaped on the wire: "pa\"ss\\w0rd-Zq7"
HOSTILE_PASSWORD = 'pa"ss\\w0rd-Zq7'


def checkin(n: int, sender: str = "ana@example.com") -> str:
    return (
        f"From: {sender}\r\nSubject: Check-in {n}: invoices\r\n"
        f"Date: Tue, 11 Mar 2025 13:0{n % 10}:00 +0000\r\nMessage-ID: <c{n}@example.com>\r\n"
        f"\r\nReconciled batch {n}.\r\n"
    )


def source(server: ScriptedImap, **options: object) -> ImapSource:
    return ImapSource("mail", server.source_options(**options))


def write_config(tmp_path: Path, server: ScriptedImap) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n\n[[sources]]\ntype = "imap"\n'
        f'name = "mail"\nhost = "127.0.0.1"\nport = {server.port}\n'
        f'username = "{server.user}"\npassword_env = "FW_HOSTILE_PW"\ntls = "none"\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(("command", "pad"), [("EXAMINE", 0), ("UID SEARCH", 150)])
def test_a_server_that_echoes_the_password_in_a_no_answer_never_gets_it_shown_or_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, pad: int
) -> None:
    server = ScriptedImap(password=HOSTILE_PASSWORD)
    server.add(checkin(1))
    server.echo_no, server.echo_pad = command, pad  # 150: the password straddles a 200 cut
    monkeypatch.setenv("FW_HOSTILE_PW", HOSTILE_PASSWORD)
    config = write_config(tmp_path, server)
    runner = CliRunner()
    try:
        if command == "UID SEARCH":  # a cursor first, so the second poll searches
            server.echo_no = ""
            assert runner.invoke(main, ["poll", "--once", "--config", str(config)]).exit_code == 0
            server.add(checkin(2))
            server.echo_no = command
        result = runner.invoke(main, ["poll", "--once", "--config", str(config)])
    finally:
        server.close()
    assert server._login_wire.endswith(b'"pa\\"ss\\\\w0rd-Zq7"')  # the server did echo it
    assert "FAILED" in result.output
    written = [p.read_text(errors="replace") for p in tmp_path.iterdir() if p.is_file()]
    for form in (HOSTILE_PASSWORD, 'pa\\"ss\\\\w0rd-Zq7', "w0rd-Zq7", 'pa\\"ss'):
        assert form not in result.output
        for text in written:
            assert form not in text


def test_line_breaks_in_the_password_are_a_config_error_and_no_command_reaches_the_server(
    scripted_imap: ScriptedImap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FARWATCH_TEST_IMAP_PW", 'secret\r\nX1 DELETE "INBOX"')
    src = source(scripted_imap)
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    src.close()
    assert info.value.kind == "config" and not info.value.retryable
    assert "control character" in info.value.message and "DELETE" not in info.value.message
    assert not any(b"DELETE" in c or b"LOGIN" in c for c in scripted_imap.commands)


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("own er@example.com", "s3cret-Pa55"),
        ('a"b\\c@example.com', "s3cret-Pa55"),
        ("owner@example.com", "pässwörd-Ωμέγα-密码"),
    ],
)
def test_odd_but_legal_credentials_log_in(
    monkeypatch: pytest.MonkeyPatch, user: str, password: str
) -> None:
    server = ScriptedImap(user=user, password=password)
    server.add(checkin(1))
    monkeypatch.setenv("FARWATCH_TEST_IMAP_PW", password)
    src = source(server)
    try:
        result = src.fetch({}, NOW)
    finally:
        src.close()
        server.close()
    assert [c.subject for c in result.checkins] == ["Check-in 1: invoices"]
    assert server.logins == 1


def test_huge_literals_are_cut_as_they_are_read_and_only_the_needed_headers_are_asked_for(
    scripted_imap: ScriptedImap,
) -> None:
    scripted_imap.add(checkin(1))
    scripted_imap.pad = 20 * 1024 * 1024  # every header and body literal grows by 20 MB
    src = source(scripted_imap, timeout=60.0)
    tracemalloc.start()
    try:
        result = src.fetch({}, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        src.close()
    assert [c.subject for c in result.checkins] == ["Check-in 1: invoices"]
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes for 20 MB literals"
    assert any("only the first 16 KB" in w for w in result.warnings)
    fetches = [c for c in scripted_imap.commands if b"UID FETCH" in c]
    assert fetches and not any(b"BODY.PEEK[HEADER]" in c for c in fetches)
    assert any(b"BODY.PEEK[HEADER.FIELDS (FROM " in c and b"]<0.16384>" in c for c in fetches)


def test_a_refused_starttls_fails_closed_and_is_not_blamed_on_a_certificate(
    scripted_imap: ScriptedImap,
) -> None:
    scripted_imap.capabilities.append("STARTTLS")
    scripted_imap.refuse_starttls = True
    src = source(scripted_imap, tls="starttls")
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    src.close()
    assert info.value.kind == "tls" and not info.value.retryable
    assert "refused STARTTLS" in info.value.message
    assert "certificate" not in explain(info.value)
    assert not any(b"LOGIN" in c for c in scripted_imap.commands)


def test_an_unreadable_answer_never_copies_mail_headers_into_health(
    scripted_imap: ScriptedImap,
) -> None:
    scripted_imap.add(checkin(1))
    scripted_imap.add(
        checkin(2, sender="ceo@example.com").replace("invoices", "salary list 9431"),
        items={"BODYSTRUCTURE": b'(("TEXT" "PLAIN" ("SUBJECT" "salary list 9431")'},
    )
    scripted_imap.add(checkin(3))
    src = source(scripted_imap)
    try:
        result = src.fetch({}, NOW)
    finally:
        src.close()
    assert len(result.checkins) == 3
    assert not any("salary" in w for w in result.warnings)


@pytest.mark.parametrize("host", ["127.0.0.1\r\n", "127.0.0.1\x00", "127.0.0.\x1b[2J1"])
def test_a_host_with_control_characters_is_a_config_error_before_any_connection(
    scripted_imap: ScriptedImap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("FW_HOSTILE_PW", scripted_imap.password)
    src = source(scripted_imap, host=host)
    with pytest.raises(SourceError) as info:
        src.fetch({}, NOW)
    src.close()
    assert info.value.kind == "config" and not info.value.retryable
    assert "control characters are not allowed in a host name" in info.value.message
    assert "fix the host key" in info.value.message and "UnicodeError" not in info.value.message
    config = write_config(tmp_path, scripted_imap)
    escaped = host.encode("unicode_escape").decode().replace("\\x", "\\u00")
    config.write_text(config.read_text().replace('"127.0.0.1"', f'"{escaped}"'))
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code != 0
    assert "sources[1].host: expected a host name" in result.output
    assert "control characters are not allowed in a host name" in result.output
    assert scripted_imap.connections == 0 and scripted_imap.commands == []
