"""Every fetch has a deadline: configured per source, else a default that is a small
multiple of a network source's timeout and never more than a few minutes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest

from farwatch.sources.base import Option, Source
from farwatch.sources.model import Cursor, FetchResult
from farwatch.state.config import parse_config
from farwatch.state.config_reader import ConfigError
from farwatch.state.deadline import MAX_DEFAULT_DEADLINE, default_deadline
from farwatch.state.engine import Engine


class Plugin(Source):
    """A third-party source: no timeout option at all."""

    type_name = "standup"

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        return FetchResult()


class SlowPlugin(Plugin):
    options: ClassVar[tuple[Option, ...]] = (Option("timeout", "duration", default="90s"),)


def config(tmp_path: Path, body: str) -> str:
    return f'[cache]\npath = "{tmp_path / "cache.json"}"\n{body}'


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('type = "sheet"\nurl = "https://example.com/r.csv"', 120.0),  # timeout 30 s
        ('type = "sheet"\nurl = "https://example.com/r.csv"\ntimeout = "5s"', 20.0),
        ('type = "clockify"\nworkspace = "w"\napi_key_env = "K"', 80.0),  # timeout 20 s
        ('type = "imap"\nhost = "h"\nusername = "u"\npassword_env = "P"', 120.0),
        ('type = "maildir"\npath = "/tmp/Maildir"', 120.0),  # local: no timeout
        ('type = "maildir"\npath = "/tmp/Maildir"\ndeadline = "10s"', 10.0),
        ('type = "clockify"\nworkspace = "w"\napi_key_env = "K"\ndeadline = "10m"', 600.0),
    ],
)
def test_each_source_gets_its_configured_or_default_deadline(
    tmp_path: Path, table: str, expected: float
) -> None:
    file = tmp_path / "config.toml"
    settings = parse_config(config(tmp_path, f"[[sources]]\n{table}\n"), file).settings
    engine = Engine(settings)
    [deadline] = engine.deadlines.values()
    assert deadline == expected


def test_defaults_are_never_more_than_a_few_minutes() -> None:
    assert default_deadline(Plugin("p", {})) == 120.0
    assert default_deadline(SlowPlugin("p", {})) == MAX_DEFAULT_DEADLINE == 180.0
    assert default_deadline(SlowPlugin("p", {"timeout": 2.0})) == 8.0


def test_a_bad_deadline_names_the_key(tmp_path: Path) -> None:
    text = config(tmp_path, '[[sources]]\ntype = "maildir"\npath = "/m"\ndeadline = 30\n')
    with pytest.raises(ConfigError, match=r"sources\[1\]\.deadline"):
        parse_config(text, tmp_path / "config.toml")
