"""IMAP failures in words an owner can act on: who failed to log in where, refused vs silent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from imapclient.exceptions import LoginError

from farwatch.cli.main import main
from farwatch.sources.base import SourceError
from farwatch.sources.explain import describe, explain
from farwatch.sources.imap import ImapSource
from tests.servers.imap import HangingServer, free_port


def test_a_rejected_login_names_the_user_and_host_but_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FW_IMAP_PW", "hunter2-secret")
    src = ImapSource(
        "mail",
        {"host": "mail.example.com", "username": "ana@example.com", "password_env": "FW_IMAP_PW"},
    )
    error = src._error(LoginError("[AUTHENTICATIONFAILED] hunter2-secret is wrong"))
    assert error.kind == "auth" and not error.retryable
    assert "login failed for ana@example.com on mail.example.com" in error.message
    assert "hunter2-secret" not in describe(error)


def test_refused_and_timed_out_read_differently_in_farwatch_check(
    hanging_server: HangingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_IMAP_PW", "x")
    common = 'username = "ana"\npassword_env = "FW_IMAP_PW"\ntls = "none"\ntimeout = "1s"\n'
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n\n'
        f'[[sources]]\ntype = "imap"\nname = "closed"\nhost = "127.0.0.1"\n'
        f"port = {free_port()}\n{common}\n"
        f'[[sources]]\ntype = "imap"\nname = "silent"\nhost = "127.0.0.1"\n'
        f"port = {hanging_server.port}\n{common}",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    closed = next(i for i, line in enumerate(lines) if line.startswith("closed"))
    silent = next(i for i, line in enumerate(lines) if line.startswith("silent"))
    assert "FAILED  refused:" in lines[closed] and "refused the connection" in lines[closed]
    assert "FAILED  timeout:" in lines[silent] and "did not answer within 1 s" in lines[silent]
    text = " ".join(line.strip() for line in lines)
    refused_advice = explain(SourceError("x", kind="refused"))
    timeout_advice = explain(SourceError("x", kind="timeout"))
    assert refused_advice != timeout_advice
    assert "nothing is listening" in refused_advice and "did not answer in time" in timeout_advice
    assert refused_advice in text and timeout_advice in text
