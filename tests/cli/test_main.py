"""The ``farwatch`` group: --config everywhere, --version, errors without tracebacks."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from farwatch.cli import main as cli_main
from farwatch.state.engine import Engine

Run = Callable[..., Result]
MakeConfig = Callable[..., Path]
ROSTER = {"roster": [{"worker_id": "ana@example.com", "name": "Ana", "email": "ana@example.com"}]}


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("farwatch, version ")


def test_help_lists_the_commands_that_exist(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("init", "check", "poll", "status"):
        assert f"  {name} " in result.stdout
    assert "--config PATH" in result.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_before_or_after_the_command(
    run: Run, make_config: MakeConfig, where: str
) -> None:
    path = make_config([("alpha", ROSTER)])
    args = (
        ["--config", str(path), "status", "--json"]
        if where == "before"
        else ["status", "--json", "--config", str(path)]
    )
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in json.loads(result.stdout)["sources"]] == ["alpha"]


def test_config_option_beats_environment(run: Run, make_config: MakeConfig, tmp_path: Path) -> None:
    chosen = make_config([("chosen", ROSTER)], name="chosen.toml")
    other = make_config([("other", ROSTER)], name="other.toml")
    result = run("status", "--json", "--config", str(chosen), env={"FARWATCH_CONFIG": str(other)})
    assert [s["name"] for s in json.loads(result.stdout)["sources"]] == ["chosen"]
    result = run("status", "--json", env={"FARWATCH_CONFIG": str(other)})
    assert [s["name"] for s in json.loads(result.stdout)["sources"]] == ["other"]


def test_later_config_option_wins(run: Run, make_config: MakeConfig) -> None:
    first = make_config([("first", ROSTER)], name="first.toml")
    second = make_config([("second", ROSTER)], name="second.toml")
    result = run("--config", str(first), "status", "--json", "--config", str(second))
    assert [s["name"] for s in json.loads(result.stdout)["sources"]] == ["second"]


def test_config_error_exit_2_message_and_no_traceback(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[thresholds]\ncheckin_warn = "2 hours"\n')
    for args in (
        ["--config", str(path), "status"],
        ["poll", "--once", "--config", str(path)],
        ["check", "--config", str(path)],
        ["--config", str(path)],
    ):
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.stderr == (
            f'farwatch: {path}: thresholds.checkin_warn: expected a duration like "90m" or '
            '"2h", got "2 hours"\n'
        )
        assert result.stdout == ""
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: os.mkfifo(p), "a FIFO (named pipe)"),  # an open() would wait for a writer
        (lambda p: os.symlink("/dev/zero", p), "a device"),  # a read() would never end
    ],
)
def test_config_that_is_not_a_regular_file_is_refused_without_hanging(
    run: Run, tmp_path: Path, make: Callable[[Path], None], what: str
) -> None:
    path = tmp_path / "config.toml"
    make(path)
    result = run("--config", str(path), "status")
    assert result.exit_code == 2
    assert result.stderr == f"farwatch: {path}: expected a TOML file, got {what}\n"


def test_config_over_a_megabyte_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# " + "x" * (1024 * 1024) + "\n")
    result = run("--config", str(path), "status")
    assert result.exit_code == 2
    assert result.stderr == (
        f"farwatch: {path}: expected a TOML file of at most 1 MB, got a larger file\n"
    )


def test_an_audit_path_that_is_a_folder_or_fifo_is_a_config_error(
    run: Run, make_config: MakeConfig, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    path = make_config([("roster", ROSTER)], extra=f'[audit]\npath = "{folder}"\n')
    for args in (["status"], ["log"], ["pause", "ana", "--dry-run"]):
        result = run("--config", str(path), *args)
        assert result.exit_code == 2, args
        assert result.stderr == (
            f"farwatch: {path}: audit.path: expected the path of the audit log file, like "
            f'"audit.jsonl", got {folder}, which is a directory\n'
        )
    fifo = tmp_path / "audit.jsonl"  # the default place, beside the cache
    os.mkfifo(fifo)
    result = run("--config", str(make_config([("roster", ROSTER)])), "status")
    assert result.exit_code == 2
    assert f"got {fifo} (beside the cache), which is not a regular file" in result.stderr


def test_a_file_that_cannot_be_opened_is_named_without_a_traceback(
    run: Run, make_config: MakeConfig, tmp_path: Path
) -> None:
    audit_file = tmp_path / "audit.jsonl"
    audit_file.symlink_to(audit_file)  # a loop: open() fails with ELOOP
    path = make_config([("roster", ROSTER)])
    result = CliRunner().invoke(cli_main.main, ["--config", str(path), "log"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"farwatch: cannot use {audit_file}: Too many levels of symbolic links\n"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_default_config_says_run_init(run: Run) -> None:
    result = run("status")
    assert result.exit_code == 2
    assert result.stderr == (
        'farwatch: ~/.config/farwatch/config.toml: no config file here yet; run "farwatch init" '
        'to write a commented starter config, or "farwatch demo" to try farwatch on a bundled '
        "demo team\n"
    )


def test_config_warnings_go_to_stderr_without_the_secret(run: Run, make_config: MakeConfig) -> None:
    path = make_config(extra='[nudge]\nemail = "mailtos://me:Pa55-w0rd@smtp.example.com"')
    result = run("status", "--json", "--config", str(path))
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"farwatch: warning: {path}: nudge.email: the URL has a password"
    )
    assert "Pa55" not in result.output
    json.loads(result.stdout)  # warnings never pollute the JSON on stdout


def test_unknown_command_is_a_usage_error(run: Run) -> None:
    result = run("stauts")
    assert result.exit_code == 2
    assert "No such command 'stauts'" in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_other_modules_commands_get_config_too(
    run: Run, make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setitem(cli_main.COMMANDS, "hello", "fw_fake_cmd:hello")
    path = make_config()
    args = (
        ["--config", str(path), "hello"] if where == "before" else ["hello", "--config", str(path)]
    )
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"loaded {path}\n"
    assert "FARWATCH_CONFIG" not in os.environ  # restored after the command


def test_no_command_opens_the_dashboard_on_an_opened_engine(
    run: Run, make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_dashboard(engine: Engine) -> None:
        seen["sources"] = list(engine.sources)
        seen["read_only"] = engine.read_only
        seen["config"] = engine.settings.path

    import farwatch.tui.app

    monkeypatch.setattr(farwatch.tui.app, "run_dashboard", fake_dashboard)
    path = make_config([("alpha", ROSTER)])
    result = run("--config", str(path))
    assert result.exit_code == 0, result.output
    assert seen == {"sources": ["alpha"], "read_only": False, "config": path}


@pytest.mark.parametrize(
    ("table", "key"), [("cache", "retention"), ("thresholds", "checkin_alert")]
)
def test_a_duration_beyond_a_century_is_a_config_error_not_a_crash_later(
    run: Run, tmp_path: Path, table: str, key: str
) -> None:
    """``retention = "1000000000d"`` used to pass and then crash every poll (OverflowError)."""
    path = tmp_path / "config.toml"
    path.write_text(f'[{table}]\n{key} = "1000000000d"\n')
    for args in (["poll", "--once"], ["status"]):
        result = run("--config", str(path), *args)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f'farwatch: {path}: {table}.{key}: expected a duration like "90m" or "2h", '
            'at most 36500d (100 years), got "1000000000d"\n'
        )
