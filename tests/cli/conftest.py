"""Shared helpers for CLI tests: a fake source plugin, configs, and a runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from farwatch.cli.main import main

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"


@pytest.fixture(autouse=True)
def fake_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import fw_fake_sources

    fw_fake_sources.install(monkeypatch)


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """``run("status", "--json")``: the real command line, in process."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def source_file(directory: Path, name: str, spec: dict[str, Any]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


MakeConfig = Callable[..., Path]


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """``make_config([("alpha", spec)], extra="...")`` writes a config into tmp_path."""

    def make(
        sources: Sequence[tuple[str, dict[str, Any]]] = (),
        extra: str = "",
        name: str = "config.toml",
    ) -> Path:
        return write_config(tmp_path, sources, extra, name)

    return make


def write_config(
    directory: Path,
    sources: Sequence[tuple[str, dict[str, Any]]] = (),
    extra: str = "",
    name: str = "config.toml",
) -> Path:
    """A config with one ``fakefile`` source per (name, spec), reading ``<name>.json``."""
    lines = [
        "[cache]",
        f'path = "{directory / "cache.json"}"',
        'retention = "3650d"',
        extra,
    ]
    for source_name, spec in sources:
        spec_path = source_file(directory, source_name, spec)
        lines += [
            "[[sources]]",
            'type = "fakefile"',
            f'name = "{source_name}"',
            f'path = "{spec_path}"',
            'token_env = "FAKE_TOKEN"',
        ]
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
