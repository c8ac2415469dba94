"""pytest fixtures for the real IMAP server (imported by tests/sources/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.imap import (
    PASSWORD,
    HangingServer,
    ImapServer,
    ScriptedImap,
    start_imap_server,
)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """One real IMAP server for the session (dovecot, else pymap)."""
    server = start_imap_server()
    yield server
    server.stop()


@pytest.fixture
def fresh_imap_server() -> Iterator[ImapServer]:
    """A server of its own, for tests that kill it."""
    server = start_imap_server()
    yield server
    server.stop()


@pytest.fixture
def imap_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """Put the test mailbox password where ``source_options`` points."""
    monkeypatch.setenv("FARWATCH_TEST_IMAP_PW", PASSWORD)
    return PASSWORD


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


@pytest.fixture
def scripted_imap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedImap]:
    """A scripted IMAP server of this test's own (behaviours set per test)."""
    monkeypatch.setenv("FARWATCH_TEST_IMAP_PW", PASSWORD)
    server = ScriptedImap()
    yield server
    server.close()
