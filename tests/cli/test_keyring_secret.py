"""``*_keyring = "service/username"`` reads a source's secret from the system keyring."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import keyring
import pytest
from keyring.backend import KeyringBackend

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import Cursor, FetchResult


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class Probe(Source):
    type_name = "probe"

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        return FetchResult()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_secret_comes_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("farwatch-imap", "owner@example.com", "s3cret")
    source = Probe(
        "mail", {"password_env": None, "password_keyring": "farwatch-imap/owner@example.com"}
    )
    assert source.secret("password_env") == "s3cret"


def test_missing_keyring_entry_is_an_auth_error(memory_keyring: MemoryKeyring) -> None:
    source = Probe("mail", {"password_env": None, "password_keyring": "svc/nobody"})
    with pytest.raises(SourceError) as info:
        source.secret("password_env")
    assert (
        str(info.value)
        == "mail: the system keyring has no secret for svc/nobody (from password_keyring)"
    )
    assert info.value.kind == "auth" and not info.value.retryable


def test_env_still_works_and_wins(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_PW", "from-env")
    source = Probe("mail", {"password_env": "MAIL_PW", "password_keyring": None})
    assert source.secret("password_env") == "from-env"
