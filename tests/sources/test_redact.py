"""The redactor removes every 8-character piece of a secret, in every form it travels in."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farwatch.sources.base import SourceError
from farwatch.sources.netopts import clean_text
from farwatch.sources.redact import SecretRegistry, register

SECRET = "Zq81+good/key=4471:xY"


@pytest.fixture
def registry() -> SecretRegistry:
    reg = SecretRegistry()
    reg.add(SECRET)
    return reg


@pytest.mark.parametrize(
    "text",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote(SECRET),
        "Basic " + base64.b64encode(f"{SECRET}:api_token".encode()).decode(),
        "Basic " + base64.b64encode(f"owner:{SECRET}".encode()).decode(),
        "Basic " + base64.b64encode(f"a-much-longer-user-name:{SECRET}".encode()).decode(),
        "https://hooks.example.com/services/" + quote(SECRET, safe="") + "?x=1",
        SECRET[3:11],  # any 8-character piece
    ],
)
def test_every_form_of_a_secret_is_masked(registry: SecretRegistry, text: str) -> None:
    out = registry.redact(f"server said: {text} (end)")
    assert out.startswith("server said: ") and out.endswith(" (end)")
    assert "***" in out
    for i in range(len(SECRET) - 7):
        assert SECRET[i : i + 8] not in out


def test_ordinary_text_is_left_alone(registry: SecretRegistry) -> None:
    text = "clockify: the server rejected the API key for GET /workspaces/w1/users"
    assert registry.redact(text) == text


@given(st.text(max_size=40), st.text(max_size=40), st.integers(0, len(SECRET) - 8))
def test_no_piece_survives_whatever_surrounds_it(before: str, after: str, start: int) -> None:
    reg = SecretRegistry()
    reg.add(SECRET)
    piece = SECRET[start:]
    out = reg.redact(before + piece + after)
    assert all(piece[i : i + 8] not in out for i in range(len(piece) - 7))


def test_a_key_echoed_past_the_cut_leaves_no_first_characters() -> None:
    key = "late-echo-KEY-5e6f7a8b9c"
    register(key)
    echoed = "x" * 150 + " " + key  # a cut at 160 would keep the key's first 9 characters
    shown = clean_text(echoed, 160)
    assert key[:8] not in shown and shown.endswith("***")
    error = SourceError(f"toggl: the server said {echoed}")
    assert key[:8] not in error.message and key[:8] not in str(error)


def test_log_records_are_redacted_when_created(caplog: pytest.LogCaptureFixture) -> None:
    key = "log-record-KEY-1a2b3c4d"
    register(key)
    with caplog.at_level(logging.DEBUG, logger="httpx"):
        logging.getLogger("httpx").debug("HTTP Request: GET https://x/?k=%s", key)
        try:
            raise ValueError(f"bad {key}")
        except ValueError:
            logging.getLogger("urllib3.connectionpool").exception("failed")
    text = caplog.text
    assert key[:8] not in text and "***" in text
