"""A key pasted where the NAME of its environment variable belongs is refused, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main

PASTED = {
    "stripe-like key": "pk_live_51HxQ2eLkd93JskQ0aZ",
    "gmail app password": "abcdwxyzefghmnop",
    "long token": "A" * 41,
    "token with dashes": "ck-Zq81-good-key-4471",
}


@pytest.mark.parametrize("value", PASTED.values(), ids=PASTED.keys())
@pytest.mark.parametrize("command", (["check"], ["poll", "--once"], ["status", "--json"]))
def test_a_secret_in_an_env_key_is_a_config_error_that_does_not_echo_it(
    tmp_path: Path, value: str, command: list[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "data" / "cache.json"}"\n\n'
        f'[[sources]]\ntype = "clockify"\nname = "hours"\nworkspace = "w1"\n'
        f'api_key_env = "{value}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, [*command, "--config", str(config)])
    shown = result.output + result.stderr
    assert result.exit_code == 2, shown
    assert "api_key_env" in shown and "looks like a secret" in shown
    assert value[:8] not in shown and value[-8:] not in shown
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != config:
            assert value[:8] not in path.read_text(errors="replace")


@pytest.mark.parametrize(
    "name", ["FARWATCH_CLOCKIFY_KEY", "CLOCKIFY_KEY_2", "my_token", "Harvest_Token"]
)
def test_ordinary_variable_names_are_accepted(tmp_path: Path, name: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n\n'
        f'[[sources]]\ntype = "clockify"\nname = "hours"\nworkspace = "w1"\n'
        f'api_key_env = "{name}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["status", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output


def test_a_secret_in_a_keyring_reference_is_not_shown(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n\n'
        f'[[sources]]\ntype = "clockify"\nname = "hours"\nworkspace = "w1"\n'
        'api_key_keyring = "sk_live_51HxQ2eLkd93JskQ0aZ"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 2 and "api_key_keyring" in result.output
    assert "51HxQ2eL" not in result.output + result.stderr
